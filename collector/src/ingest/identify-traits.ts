import type { JsonObject } from '../../../sdk/src/contract';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

interface IdentifyShape {
  type: string;
  userId?: string | null;
  anonymousId?: string | null;
  traits?: JsonObject;
  context?: JsonObject;
}

/**
 * The traits an identify call sets. Segment's libraries send them as `traits`; RudderStack's (browser,
 * Node, iOS, Android) send them in `context.traits`, beside copies of the event's own ids
 * (`anonymousId`, and `id`/`userId` on Android and iOS). Those copies are bookkeeping, not facts about
 * the person, so they are left out when they equal the event's ids. Any other call's traits are its own.
 *
 * @example
 * identifyTraits({ type: 'identify', userId: 'u1', anonymousId: 'a1', context: { traits: { anonymousId: 'a1', id: 'u1', plan: 'pro' } } })
 * // -> { plan: 'pro' }
 */
export function identifyTraits(message: IdentifyShape): JsonObject | null {
  if (message.traits) return message.traits;
  const fromContext = message.context?.traits;
  if (message.type !== 'identify' || !isObject(fromContext)) return null;
  const copies: Record<string, unknown> = { anonymousId: message.anonymousId, id: message.userId, userId: message.userId };
  const traits: JsonObject = {};
  for (const [key, value] of Object.entries(fromContext)) {
    if (Object.hasOwn(copies, key) && value === copies[key]) continue;
    traits[key] = value;
  }
  return Object.keys(traits).length > 0 ? traits : null;
}
