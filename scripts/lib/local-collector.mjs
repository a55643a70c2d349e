// Starts the real collector locally (wrangler dev on workerd, D1 as a local SQLite file) for
// `npm start`, the end-to-end tests and the benchmarks. Loopback only, no Cloudflare login.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wranglerBin = path.join(projectRoot, 'node_modules/wrangler/bin/wrangler.js');
const guard = path.join(projectRoot, 'scripts/lib/group-guard.mjs');

/** Environment that keeps wrangler offline and its logs inside the project. */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME ?? path.join(projectRoot, '.config'),
    ...extra,
  };
}

/**
 * wrangler dev's devtools proxy keeps every inspector event of the worker (one per D1 call) in
 * memory until a devtools window attaches (InspectorProxyWorker's runtimeMessageBuffer), so a
 * collector that nobody debugs dies of "JavaScript heap out of memory" after enough D1 calls:
 * seen at about 90k profiles of bench/profiles (its proxy workerd grew 144 -> 792 MB over a
 * 20k-profile run). wrangler has no switch for it; it leaves the proxy off inside a VS Code debug
 * terminal, which it detects by this variable (nothing else reads it without VS Code's
 * bootloader in NODE_OPTIONS). `SATU_DEVTOOLS=1` keeps devtools, for a session that attaches them.
 */
const WITHOUT_DEVTOOLS = { VSCODE_INSPECTOR_OPTIONS: '{}' };

/** A TCP port that is free on 127.0.0.1 right now: `preferred` if it is, else one the system picks. */
export function freePort(preferred = 0) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) => (preferred && err.code === 'EADDRINUSE' ? resolve(freePort()) : reject(err)));
    server.listen(preferred, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(args, { quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: projectRoot,
      env: wranglerEnv(),
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`wrangler ${args.join(' ')} exited ${code}\n${output}`)),
    );
  });
}

let clockTicks;

/**
 * CPU time (ms, user + system) used so far by the workerd process that runs the worker and its
 * local D1, in the process group of the wrangler process `wranglerPid`: wrangler starts two, and
 * the other one only serves the public port and proxies to it. The process is found once and kept:
 * if it is gone later (wrangler started the runtime again), readings are NaN, never a counter of
 * another process (which made a difference of two readings negative once, 2026-12-07). NaN where
 * /proc is not available (Linux only).
 * @returns {() => number}
 */
export function runtimeCpuReader(wranglerPid, publicPort) {
  let runtime = null;
  return () => {
    try {
      runtime ??= findRuntime(wranglerPid, publicPort);
      if (runtime === null) return NaN;
      const { fields } = procStat(runtime.pid);
      // fields[19] is the start time: a pid reused by another process is not ours.
      if (fields[19] !== runtime.startedAt) return NaN;
      clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
    } catch {
      return NaN; // gone, or not Linux
    }
  };
}

/** A process's /proc stat: its name, and the fields after it (fields[0] is the state). */
function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
}

function findRuntime(wranglerPid, publicPort) {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = procStat(pid);
    } catch {
      continue; // gone meanwhile
    }
    const { name, fields } = stat;
    // fields[2] is the process group: wrangler runs in its own (see startCollector's `detached`).
    if (name !== 'workerd' || Number(fields[2]) !== wranglerPid) continue;
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`entry=127.0.0.1:${publicPort}\0`)) continue;
    return { pid, startedAt: fields[19] };
  }
  return null;
}

/**
 * The D1 bindings a wrangler.toml declares, in order (`[[d1_databases]]` blocks' `binding`).
 *
 * @example
 * d1Bindings('[[d1_databases]]\nbinding = "DB"\n') // ['DB']
 */
export function d1Bindings(toml) {
  return toml
    .split(/^\[/m)
    .filter((block) => block.startsWith('[d1_databases]]'))
    .map((block) => block.match(/^\s*binding\s*=\s*"([^"]+)"/m)?.[1])
    .filter(Boolean);
}

/** Applies collector/migrations to every local D1 database of the config under `stateDir` (idempotent). */
export async function applyMigrations(stateDir, { config = 'wrangler.toml' } = {}) {
  // One after the other: each is a wrangler process on the same state directory.
  for (const binding of d1Bindings(readFileSync(path.resolve(projectRoot, config), 'utf8'))) {
    await run(['d1', 'migrations', 'apply', binding, '--local', '--persist-to', stateDir, '--config', config]);
  }
}

/** A random admin token (hex, 32 bytes). */
export const randomToken = () => randomBytes(32).toString('hex');

/** Whether nothing listens on 127.0.0.1:`port` now (nothing reserves it: only a hint). */
function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Waits until a port the caller insists on is free (a collector killed a moment ago lets go of it). */
async function waitForPort(port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await portIsFree(port))) {
    if (Date.now() > deadline) throw new Error(`port ${port} is in use by another process (set PORT to use another one)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** wrangler (or its workerd) could not bind a port: another process took it first. */
const isBindFailure = (output) => /EADDRINUSE|Address already in use/i.test(output);

/**
 * Starts `wrangler dev` on 127.0.0.1 and resolves once /health answers. `cpuMs()` reads the
 * CPU time the worker's runtime (worker and local D1) has used so far, see runtimeCpuReader.
 * `port` (given: that port, waited for while a previous collector lets go of it; else any free one)
 * and `inspectorPort` (a preference: taken when free). A port found free can be taken by another
 * process before wrangler binds it (ephemeral ports are handed out again quickly): wrangler then
 * exits with "Address already in use", and it is started again on fresh ports, up to 5 times.
 * The collector never outlives the process that started it (scripts/lib/group-guard.mjs).
 * `kill()` ends every process of the collector with SIGKILL, as a crash would.
 * @returns {Promise<{url: string, port: number, stop: () => Promise<void>, kill: () => Promise<void>, output: () => string, cpuMs: () => number, attempts: number}>}
 */
export async function startCollector(options = {}) {
  for (let attempt = 1; ; attempt++) {
    if (options.port) await waitForPort(options.port);
    const port = options.port ?? (await freePort());
    // Left to itself, every wrangler dev tries devtools port 9229 first: two collectors starting at the
    // same moment (two test runs, or tests beside `npm start`) can both find it free, and the loser exits
    // with "Address already in use". A port of its own each avoids most of that; the retry the rest.
    const inspectorPort = await freePort(attempt === 1 ? options.inspectorPort : 0);
    const started = await startOnce({ ...options, port, inspectorPort });
    if (started.ok) return { ...started.collector, attempts: attempt };
    if (!isBindFailure(started.output) || attempt >= 5) throw started.error;
    console.error(`wrangler dev could not bind a port (attempt ${attempt}); starting it again on fresh ports`);
  }
}

async function startOnce({ port, stateDir, adminToken, config = 'wrangler.toml', vars = {}, inherit = false, timeoutMs = 60_000, inspectorPort, devtools = process.env.SATU_DEVTOOLS === '1' }) {
  const args = [
    wranglerBin,
    'dev',
    '--config',
    config,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--persist-to',
    stateDir,
    '--inspector-port',
    String(inspectorPort),
    '--show-interactive-dev-session=false',
    '--log-level',
    inherit ? 'info' : 'warn',
  ];
  for (const [key, value] of Object.entries({ ...(adminToken ? { ADMIN_TOKEN: adminToken } : {}), ...vars })) {
    args.push('--var', `${key}:${value}`);
  }
  // Own process group, so stop() ends wrangler and the workerd it spawned together; led by the
  // guard, which ends that group when this process dies without calling stop() (kill -9).
  const child = spawn(process.execPath, [guard, process.execPath, ...args], {
    cwd: projectRoot,
    env: devtools ? wranglerEnv() : wranglerEnv(WITHOUT_DEVTOOLS),
    detached: true,
    stdio: ['pipe', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'],
  });
  // The guard's stdin is the lifeline: never written, closed by the kernel when this process ends.
  child.stdin.on('error', () => {});
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', (code) => ((exited = true), resolve(code))));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exit;
    clearTimeout(timer);
  };

  // kill -9 of every process of this collector (wrangler and its workerd), as a crash would.
  const kill = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    await exit;
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) return { ok: false, output, error: new Error(`wrangler dev exited before it was ready:\n${output}`) };
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok && !exited) {
        const collector = { url, port, stop, kill, output: () => output, cpuMs: runtimeCpuReader(child.pid, port) };
        return { ok: true, collector };
      }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  return { ok: false, output, error: new Error(`collector did not answer /health within ${timeoutMs} ms:\n${output}`) };
}

/** Creates a workspace through the admin API: {id, name, writeKey, secretKey}. */
export async function createWorkspace(url, adminToken, name = 'Demo shop') {
  const res = await fetch(`${url}/v1/admin/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`creating a workspace failed: ${res.status} ${await res.text()}`);
  return res.json();
}
