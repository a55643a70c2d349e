// `npm run export -- --from 2026-12-01 --to 2026-12-02 [--out events.ndjson]`: downloads the
// workspace's events received in [from, to) from GET /v1/events/export into a file, streaming
// (constant memory), with a progress line.
//
// Collector: --url or SATU_URL (default http://localhost:8787). Secret key (`read` scope): --key or
// SATU_SECRET_KEY; without either, the demo workspace that `npm start` created is used.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './lib/local-collector.mjs';

const { values: args } = parseArgs({
  options: { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' } },
});

function secretKey() {
  if (args.key ?? process.env.SATU_SECRET_KEY) return args.key ?? process.env.SATU_SECRET_KEY;
  const demo = path.resolve(projectRoot, process.env.SATU_STATE_DIR ?? '.wrangler/state', 'satu-demo.json');
  if (existsSync(demo)) return JSON.parse(readFileSync(demo, 'utf8')).secretKey;
  console.error('No secret key: pass --key or set SATU_SECRET_KEY (a secret key with the read scope).');
  process.exit(2);
}

const url = new URL('/v1/events/export', args.url ?? process.env.SATU_URL ?? 'http://localhost:8787');
if (args.from) url.searchParams.set('from', args.from);
if (args.to) url.searchParams.set('to', args.to);
const out = args.out ?? `satu-events-${(args.from ?? 'start').replace(/[:]/g, '')}-${(args.to ?? 'now').replace(/[:]/g, '')}.ndjson`;

const res = await fetch(url, { headers: { authorization: `Bearer ${secretKey()}` } });
if (!res.ok) {
  console.error(`Export failed: ${res.status} ${await res.text()}`);
  process.exit(1);
}

const file = createWriteStream(out);
const started = Date.now();
let events = 0;
let bytes = 0;
let shown = 0;
const progress = (final = false) => {
  const s = (Date.now() - started) / 1000;
  const line = `${events.toLocaleString('en')} events, ${(bytes / 1e6).toFixed(1)} MB, ${Math.round(events / Math.max(s, 0.001)).toLocaleString('en')} events/s -> ${out}`;
  // On a terminal one line that updates in place; in a log a line per interval.
  process.stderr.write(process.stderr.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
};
for await (const chunk of res.body) {
  for (const byte of chunk) if (byte === 10) events++;
  bytes += chunk.length;
  if (!file.write(chunk)) await new Promise((resolve) => file.once('drain', resolve));
  if (Date.now() - shown > (process.stderr.isTTY ? 250 : 2000)) {
    shown = Date.now();
    progress();
  }
}
await new Promise((resolve, reject) => file.end((err) => (err ? reject(err) : resolve())));
progress(true);
