// A webhook receiver for Satu segment changes: verifies the signature, ignores repeats of an
// event it already handled, and turns cart-abandoner entries into WhatsApp-style promo
// payloads. It prints them instead of calling any API.
//
//   SATU_WEBHOOK_SECRET=... node examples/segment-webhooks/server.mjs   (127.0.0.1:8790; PORT=0 picks a free port)
//   then: POST /v1/destinations {"url":"http://127.0.0.1:8790/satu","secret":"...","segments":["cart_abandoners"]}
import { createServer } from 'node:http';
import { promoMessage } from './promo.mjs';
import { verifySatuSignature } from './verify.mjs';

const secret = process.env.SATU_WEBHOOK_SECRET;
if (!secret) {
  console.error('Set SATU_WEBHOOK_SECRET to the secret of the destination');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 8790);
// Webhooks are retried until answered 2xx, so the same id can arrive twice. Keep ids in a real
// store in production; memory is enough for a demo.
const seen = new Set();

const server = createServer(async (req, res) => {
  if (req.method !== 'POST') return void res.writeHead(405).end();
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString('utf8');
  if (!verifySatuSignature(secret, body, req.headers['satu-signature'])) {
    return void res.writeHead(400, { 'content-type': 'text/plain' }).end('bad signature');
  }
  const webhook = JSON.parse(body);
  if (!seen.has(webhook.id)) {
    seen.add(webhook.id);
    const message = promoMessage(webhook);
    console.log(message ? `promo for ${webhook.profile.id}: ${JSON.stringify(message)}` : `${webhook.type} ${webhook.segment.key} ${webhook.profile.id}`);
  }
  res.writeHead(204).end();
});
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/satu`));
