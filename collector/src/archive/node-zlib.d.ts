// The one node:zlib function the archive uses (Workers provide node:zlib under nodejs_compat). The
// collector does not load @types/node: its globals clash with the Workers types.
declare module 'node:zlib' {
  /** Gzip of `data` (a string is encoded as UTF-8); the result is a Node Buffer, a Uint8Array. */
  export function gzipSync(data: string | ArrayBufferView, options?: { level?: number }): Uint8Array;
}
