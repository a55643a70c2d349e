// `npm run build`: runs every scripts/build-*.mjs (the SDK bundle, the console) in name order.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
for (const file of readdirSync(dir).filter((f) => /^build-.+\.mjs$/.test(f)).sort()) {
  const { build } = await import(pathToFileURL(path.join(dir, file)).href);
  await build();
}
