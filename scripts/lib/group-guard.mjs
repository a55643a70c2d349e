// Runs one command as the leader of its own process group and ends that whole group (the command
// and everything it spawned) as soon as the process that started it is gone, however it went: a
// kill -9 of `npm start` closes the pipe on our stdin, and nothing else is needed to notice it.
// Without this, wrangler and its workerd outlived a killed `npm start` (they run in their own group
// so that stop() can end them together) and kept the collector's port, and the next start's
// health check even reached the old collector.
//
//   spawn(process.execPath, ['scripts/lib/group-guard.mjs', cmd, ...args], { detached: true, stdio: ['pipe', ...] })
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });

const endGroup = () => {
  try {
    process.kill(0, 'SIGKILL'); // 0: every process of this group, this one included
  } catch {
    process.exit(1);
  }
};
process.stdin.on('end', endGroup);
process.stdin.on('error', endGroup);
process.stdin.resume();
// A SIGTERM or SIGINT sent to the group reaches the command too: wait for it to finish shutting down.
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
child.on('error', (err) => {
  console.error(err);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
