/**
 * Timeline pages as the read store keeps them: gzip of their JSON. Events repeat their context
 * (page, user agent, campaign), so a page of the bench's events packs about 10:1 (6 KB -> 0.6 KB),
 * which is what keeps a store of every profile well inside a Durable Object's storage.
 *
 * @example
 * const bytes = await pack(JSON.stringify(rows));
 * JSON.parse(await unpack(bytes)) // -> rows
 */
export async function pack(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

export async function unpack(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
}
