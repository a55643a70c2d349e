// A loopback proxy in front of the collector that answers chosen requests with a 5xx instead of
// forwarding them, so a test can watch a real library retry. Everything else is forwarded as is,
// Host header included: the collector then sees the proxy's address, as it would see its public
// hostname behind a CDN, and the settings it serves point the libraries back at the proxy.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as text (decompressed when it came gzipped, as rudder-sdk-node sends it). */
  body: string;
  /** The status the proxy answered with (its own 503, or the collector's); 0 until the collector answers. */
  status: number;
}

export interface FailingProxy {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * @param target the collector's URL
 * @param fail decides per request whether to answer 503 without forwarding (called in arrival order)
 */
export function startFailingProxy(target: string, fail: (req: { method: string; path: string }) => boolean): Promise<FailingProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'), status: 0 };
      seen.push(entry);
      if (entry.method !== 'OPTIONS' && fail(entry)) {
        entry.status = 503;
        // CORS on the failure too: without it a browser reports a network error instead of the 503.
        res.writeHead(503, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        res.end('{"error":{"code":"injected","message":"injected by the test proxy"}}');
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          entry.status = answer.statusCode ?? 0;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => {
        entry.status = 502;
        res.writeHead(502).end();
      });
      forward.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
