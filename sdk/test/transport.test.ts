import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../src/transport';

describe('post', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // /hang reads the body and never answers; any other path answers 200.
    server = createServer((req, res) => {
      req.resume();
      if (req.url !== '/hang') req.on('end', () => res.end('{"ok":true}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('resolves to the response when the collector answers', async () => {
    const res = await post(`${url}/v1/batch`, '{"batch":[]}');
    expect(res?.status).toBe(200);
  });

  it('gives up on a request that never answers, so the delivery round (and the tabs lock) is freed', async () => {
    expect(await post(`${url}/hang`, '{"batch":[]}', false, 200)).toBeUndefined();
  });

  it('resolves to undefined, not a rejection, when nothing listens', async () => {
    expect(await post('http://127.0.0.1:9/v1/batch', '{}')).toBeUndefined(); // port 9: discard, closed here
  });
});
