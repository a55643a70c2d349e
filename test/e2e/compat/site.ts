// A site on its own origin that bundles Segment's and RudderStack's browser libraries from
// node_modules with esbuild (no CDN), as a customer's build would.
import { createServer } from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';

const ENTRIES = { 'segment.js': 'segment-entry.ts', 'rudder.js': 'rudder-entry.ts' } as const;

async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [path.join(import.meta.dirname, entry)],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  return out.outputFiles[0]!.text;
}

export interface LibrarySite {
  /** `http://localhost:PORT`: a different origin from the collector on 127.0.0.1. */
  url: string;
  close(): Promise<void>;
}

/** Serves `/segment.html` and `/rudder.html` (each loads its library), `/next.html` (somewhere to navigate to). */
export async function startLibrarySite(): Promise<LibrarySite> {
  const scripts = Object.fromEntries(await Promise.all(Object.entries(ENTRIES).map(async ([name, entry]) => [name, await bundle(entry)])));
  const page = (script: string) => `<!doctype html><html><head><meta charset="utf-8"><title>shop</title><script src="/${script}"></script></head><body>shop</body></html>`;
  const files: Record<string, [string, string]> = {
    '/segment.html': ['text/html', page('segment.js')],
    '/rudder.html': ['text/html', page('rudder.js')],
    '/next.html': ['text/html', '<!doctype html><title>next</title>next'],
    '/segment.js': ['text/javascript', scripts['segment.js']!],
    '/rudder.js': ['text/javascript', scripts['rudder.js']!],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': `${file[0]}; charset=utf-8`, 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://localhost:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
