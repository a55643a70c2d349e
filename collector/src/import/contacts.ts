import type { JsonObject, Message } from '../../../sdk/src/contract';

const ID_COLUMNS: Record<string, 'userId' | 'anonymousId'> = {
  userid: 'userId',
  user_id: 'userId',
  anonymousid: 'anonymousId',
  anonymous_id: 'anonymousId',
};

/**
 * Reads a CSV cell the way a marketer means it: plain numbers and true/false become typed
 * (so `age gt 30` works in segments), while values such as zip codes with a leading zero or
 * phone numbers stay text.
 */
export function cellValue(raw: string): string | number | boolean {
  const v = raw.trim();
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (/^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

/**
 * One contact row -> an identify message. `userId`/`anonymousId` columns become ids, a
 * `timestamp` column the event time, every other non-empty column a trait.
 */
export function contactToMessage(header: readonly string[], record: readonly string[]): Message {
  const message: Message = { type: 'identify' };
  const traits: JsonObject = {};
  header.forEach((column, i) => {
    const raw = record[i] ?? '';
    if (raw.trim() === '') return;
    const idField = ID_COLUMNS[column.toLowerCase()];
    if (idField) message[idField] = raw.trim();
    else if (column.toLowerCase() === 'timestamp') message.timestamp = raw.trim();
    else if (column === 'email' || column === 'phone') traits[column] = raw.trim();
    else traits[column] = cellValue(raw);
  });
  message.traits = traits;
  return message;
}
