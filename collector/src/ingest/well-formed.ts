/**
 * Replaces lone UTF-16 surrogates (`"\ud800"` escapes in JSON) with U+FFFD in every string and
 * key of a parsed JSON value, returning the value itself when there is nothing to fix.
 *
 * Why: D1 stores text as UTF-8, where a lone surrogate cannot exist, so it is written as U+FFFD.
 * Left in memory, `"x\ud800"` and `"x\udfff"` look different to the code but are the same stored
 * identifier: a lookup misses, the insert hits the unique index, and the whole batch failed with
 * 503 on every retry (found by bench/fuzz). Fixing the text up front makes what we compare equal
 * what we store.
 *
 * @example
 * toWellFormedDeep({ userId: 'a\ud800' }) // -> { userId: 'a\ufffd' }
 */
export function toWellFormedDeep<T>(value: T): T {
  if (!needsFix(value)) return value;
  return fix(value) as T;
}

function needsFix(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (!node.isWellFormed()) return true;
    } else if (Array.isArray(node)) {
      stack.push(...node);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (!key.isWellFormed()) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

// Only reached for the rare hostile message; validation has already bounded its depth.
function fix(node: unknown): unknown {
  if (typeof node === 'string') return node.toWellFormed();
  if (Array.isArray(node)) return node.map(fix);
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k.toWellFormed(), fix(v)]));
  }
  return node;
}

const STRING_FIELDS = ['messageId', 'userId', 'anonymousId', 'groupId', 'previousId', 'event', 'name', 'category'] as const;
const OBJECT_FIELDS = ['context', 'properties', 'traits', 'integrations'] as const;

/**
 * The stored fields of a validated message made well-formed (see `toWellFormedDeep`). Called
 * after validation has bounded the nesting of the object fields.
 *
 * @example
 * wellFormedMessage({ type: 'track', event: 'e\udc00', userId: 'u' }) // -> { type: 'track', event: 'e\ufffd', userId: 'u' }
 */
export function wellFormedMessage<M extends object>(message: M): M {
  const source = message as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const field of [...STRING_FIELDS, ...OBJECT_FIELDS]) {
    const value = source[field];
    const fixed = typeof value === 'string' ? value.toWellFormed() : value !== null && typeof value === 'object' ? toWellFormedDeep(value) : value;
    if (fixed !== value) {
      out ??= { ...source };
      out[field] = fixed;
    }
  }
  return (out as M | null) ?? message;
}
