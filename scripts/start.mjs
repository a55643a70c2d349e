// `npm start`: the whole product on this machine. Builds the SDK, applies D1 migrations to every
// local database, starts the collector (wrangler dev) and the example site, creates a demo
// workspace on first run and prints what a newcomer needs. No Cloudflare login, loopback only.
//
// Environment: PORT (collector, default 8787), EXAMPLE_PORT (default 8080),
// ADMIN_TOKEN (default: from .dev.vars, created with a random token on first start),
// SATU_STATE_DIR (local D1 data, default .wrangler/state).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyMigrations, createWorkspace, projectRoot, randomToken, startCollector } from './lib/local-collector.mjs';
import { startExampleServer } from './lib/example-server.mjs';

const port = Number(process.env.PORT ?? 8787);
const examplePort = Number(process.env.EXAMPLE_PORT ?? 8080);
const stateDir = path.resolve(projectRoot, process.env.SATU_STATE_DIR ?? '.wrangler/state');
const devVars = path.join(projectRoot, '.dev.vars');

function adminToken() {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const existing = existsSync(devVars) ? readFileSync(devVars, 'utf8').match(/^ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?/m) : null;
  if (existing) return existing[1];
  const token = randomToken();
  const rest = existsSync(devVars) ? readFileSync(devVars, 'utf8') : '';
  writeFileSync(devVars, `${rest}${rest && !rest.endsWith('\n') ? '\n' : ''}ADMIN_TOKEN="${token}"\n`, { mode: 0o600 });
  console.log(`Created .dev.vars with a random ADMIN_TOKEN.`);
  return token;
}

/** The demo workspace of this state dir: reused while its write key still works. */
async function demoWorkspace(url, token) {
  const file = path.join(stateDir, 'satu-demo.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const probe = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${saved.writeKey}:`)}` },
      body: JSON.stringify({ batch: [] }),
    });
    if (probe.ok) return saved;
  }
  const created = await createWorkspace(url, token, 'Demo shop');
  writeFileSync(file, JSON.stringify(created, null, 2), { mode: 0o600 });
  return created;
}

const token = adminToken();
mkdirSync(stateDir, { recursive: true });
console.log('Building the SDK...');
await import('./build.mjs');
console.log(`Applying D1 migrations to every local database (wrangler.toml) in ${path.relative(projectRoot, stateDir) || '.'}...`);
await applyMigrations(stateDir);
console.log('Starting the collector...');
// Devtools (with SATU_DEVTOOLS=1, see local-collector.mjs) on wrangler's usual 9229 when it is free (chrome://inspect looks there). startCollector
// waits for PORT while a killed predecessor lets go of it, and starts wrangler again on fresh
// ports when another process takes a port it picked.
const collector = await startCollector({ port, stateDir, adminToken: token, inspectorPort: 9229 });
const demo = await demoWorkspace(collector.url, token);
// wrangler listens on 127.0.0.1; browsers and curl reach it as localhost.
const publicUrl = `http://localhost:${collector.port}`;
const examples = await startExampleServer({
  root: path.join(projectRoot, 'examples'),
  port: examplePort,
  values: { SATU_HOST: publicUrl, SATU_WRITE_KEY: demo.writeKey },
});

console.log(`
Satu is running.

  Collector     ${publicUrl}        (health: ${publicUrl}/health)
  Example site  ${examples.url}
  Console       ${publicUrl}/console
  Workspace     ${demo.name} (${demo.id})
  Write key     ${demo.writeKey}     (public: ingest only)
  Secret key    ${demo.secretKey}     (read + admin: keep it secret)
  Admin token   in .dev.vars (or $ADMIN_TOKEN)
  Local D1      ${stateDir}

Try:  curl -u ${demo.writeKey}: ${publicUrl}/v1/track -H 'content-type: application/json' \\
        -d '{"userId":"ana","event":"Order Completed","properties":{"total":42}}'

Press Ctrl-C to stop.`);

const shutdown = async () => {
  await Promise.allSettled([collector.stop(), examples.close()]);
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// `npm start` stopped by a signal (`timeout`, a process manager) ends npm without telling this
// process; once it is orphaned, stop wrangler and the example site instead of running on.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && shutdown(), 1000).unref();
