import { Buffer } from 'node:buffer';
import { customAlphabet } from 'nanoid';

// Alphanumeric only, so keys survive copy-paste, URLs and HTTP Basic without escaping.
const randomPart = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 40);

export type KeyKind = 'write' | 'secret';
export const SECRET_SCOPES = ['read', 'admin'] as const;
export type Scope = (typeof SECRET_SCOPES)[number];

/** A new random key; the kind is readable in its prefix so a leaked key is easy to classify. */
export function generateKey(kind: KeyKind): string {
  return `${kind === 'write' ? 'wk' : 'sk'}_${randomPart()}`;
}

/** How a key is shown after creation: enough to recognise it, not enough to use it. */
export function maskKey(prefix: string): string {
  return `${prefix}${'•'.repeat(8)}`;
}

export function keyPrefix(key: string): string {
  return key.slice(0, 7);
}

/** SHA-256 hex digest: keys are stored and looked up by this, never in plaintext. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  // Every secret-key request hashes its key (the key cache is keyed by the hash): native hex, not a loop per byte.
  return Buffer.from(digest).toString('hex');
}

/**
 * Constant-time string equality. Both sides are hashed first so the comparison
 * always runs over 32 bytes whatever the inputs' lengths.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(a)),
    crypto.subtle.digest('SHA-256', enc.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
