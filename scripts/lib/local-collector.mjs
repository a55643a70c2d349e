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
 * the other one only serves the public port and proxies to it. NaN where /proc is not available (Linux only).
 */
export function runtimeCpuMs(wranglerPid, publicPort) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[2] is the process group: wrangler runs in its own (see startCollector's `detached`).
      if (!stat.includes('(workerd)') || Number(fields[2]) !== wranglerPid) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`entry=127.0.0.1:${publicPort}\0`)) continue;
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
    }
  } catch {
    /* not Linux */
  }
  return NaN;
}

/** Applies collector/migrations to the local D1 under `stateDir` (idempotent). */
export async function applyMigrations(stateDir, { config = 'wrangler.toml' } = {}) {
  await run(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir, '--config', config]);
}

/** A random admin token (hex, 32 bytes). */
export const randomToken = () => randomBytes(32).toString('hex');

/**
 * Starts `wrangler dev` on 127.0.0.1 and resolves once /health answers. `cpuMs()` reads the
 * CPU time the worker's runtime (worker and local D1) has used so far, see runtimeCpuMs.
 * @returns {Promise<{url: string, port: number, stop: () => Promise<void>, kill: () => Promise<void>, output: () => string, cpuMs: () => number}>}
 */
export async function startCollector({
  port,
  stateDir,
  adminToken,
  config = 'wrangler.toml',
  vars = {},
  inherit = false,
  timeoutMs = 60_000,
  inspectorPort,
} = {}) {
  const chosenPort = port ?? (await freePort());
  // Left to itself, every wrangler dev tries devtools port 9229 first: two collectors starting at the
  // same moment (two test runs, or tests beside `npm start`) can both find it free, and the loser exits
  // with "Address already in use". A port of its own each avoids the race.
  inspectorPort ??= await freePort();
  const args = [
    wranglerBin,
    'dev',
    '--config',
    config,
    '--ip',
    '127.0.0.1',
    '--port',
    String(chosenPort),
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
  // Own process group, so stop() ends wrangler and the workerd it spawned together.
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: wranglerEnv(),
    detached: true,
    stdio: ['ignore', inherit ? 'inherit' : 'pipe', inherit ? 'inherit' : 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', (code) => ((exited = true), resolve(code))));

  const url = `http://127.0.0.1:${chosenPort}`;
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
    if (exited) throw new Error(`wrangler dev exited before it was ready:\n${output}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return { url, port: chosenPort, stop, kill, output: () => output, cpuMs: () => runtimeCpuMs(child.pid, chosenPort) };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`collector did not answer /health within ${timeoutMs} ms:\n${output}`);
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
