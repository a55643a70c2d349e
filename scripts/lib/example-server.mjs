// Serves examples/ on loopback. HTML files may hold {{SATU_HOST}} and {{SATU_WRITE_KEY}},
// filled in with the local collector's URL and the demo write key, so the pages work as is.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * @param {{root: string, port: number, host?: string, values: Record<string, string>}} options
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export function startExampleServer({ root, port, host = '127.0.0.1', values }) {
  const fill = (text) => text.replace(/\{\{(SATU_[A-Z_]+)\}\}/g, (m, name) => values[name] ?? m);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) return void res.writeHead(403).end('Forbidden');
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    // Single-page apps: unknown paths without an extension get the nearest index.html.
    if (!existsSync(file) && !path.extname(file)) {
      let dir = path.dirname(file);
      while (dir.startsWith(root) && !existsSync(path.join(dir, 'index.html'))) dir = path.dirname(dir);
      file = path.join(dir, 'index.html');
    }
    if (!existsSync(file)) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.setHeader('content-type', type);
    res.setHeader('cache-control', 'no-store');
    if (type.startsWith('text/html')) return void res.end(fill(readFileSync(file, 'utf8')));
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${actual}`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
