// The "max" metadata: the only variant whose isValid() checks each country's number ranges, not
// just lengths ("min" takes +62 999 9999 9999; "mobile" refuses landlines such as Jakarta's 021).
// It adds about 20 KB gzip to the worker (see the README, Identity and profiles).
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

// What people type around a number: digits, a leading +, spaces (any Unicode space), dots,
// dashes, slashes, parentheses. Letters (extensions, "call me") are refused rather than guessed.
const PHONE_TEXT = /^(\(?\+)?[\d\s().\-/]+$/u;

/**
 * True when libphonenumber knows the country's numbering plan, so it can be a workspace's
 * `defaultCountry`.
 *
 * @example
 * isPhoneCountry('ID') // -> true
 * isPhoneCountry('XX') // -> false
 */
export function isPhoneCountry(code: string): boolean {
  return isSupportedCountry(code.toUpperCase());
}

const valid = (text: string, country?: CountryCode): string | null => {
  const parsed = parsePhoneNumberFromString(text, country ? { defaultCountry: country } : undefined);
  return parsed && parsed.isValid() ? parsed.number : null;
};

function parse(trimmed: string, defaultCountry: string | undefined): string | null {
  if (!PHONE_TEXT.test(trimmed)) return null;
  // "+62 (0)812...": libphonenumber drops a trunk prefix written after the country code.
  if (trimmed.startsWith('+') || trimmed.startsWith('(+')) return valid(trimmed);
  const digits = trimmed.replace(/\D/g, '');
  // 00 is the international prefix in most of the world (not in Indonesia, where it is 001/007...,
  // so libphonenumber alone would read 0062... as a national number).
  if (digits.startsWith('00')) {
    const international = valid(`+${digits.slice(2)}`);
    if (international) return international;
  }
  const country = defaultCountry?.toUpperCase();
  if (country && isSupportedCountry(country)) {
    // Reads national forms (0812...) and the country code without + (62812...).
    const national = valid(trimmed, country);
    if (national) return national;
  }
  // No default country, or not a number of it: the country code written without + ("6281234567890",
  // as WhatsApp links write numbers) is accepted when it makes a valid international number.
  return valid(`+${digits}`);
}

// Parsing costs 15-35 µs a number; senders repeat the same few phones (context.traits on every
// event), so results are kept per isolate. Bounded: cleared when full, never grows without limit.
const cache = new Map<string, string | null>();
const CACHE_LIMIT = 5000;

/**
 * Normalises a phone number as people type it to E.164 (`+` and digits) with libphonenumber-js:
 * separators (spaces, dots, dashes, parentheses, slashes) are ignored; a trunk prefix written
 * inside an international number (`+62 (0)812...`) is dropped; `00` reads as the international
 * prefix; the country code without `+` (`62812...`) is recognised; national numbers (`0812...`)
 * use `defaultCountry` (ISO 3166). Returns null unless the result is a valid number of its
 * country (length and number range): invalid or too short numbers never become identifiers.
 *
 * @example
 * normalisePhone('+62 (0)812-3456-7890') // -> '+6281234567890'
 * normalisePhone('0812.3456.7890', 'ID') // -> '+6281234567890'
 * normalisePhone('62812 3456 7890', 'ID') // -> '+6281234567890'
 * normalisePhone('0812 345', 'ID') // -> null (too short)
 */
export function normalisePhone(raw: string, defaultCountry?: string): string | null {
  const trimmed = raw.trim();
  const key = `${defaultCountry ?? ''}\u0000${trimmed}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const result = trimmed.length > 64 ? null : parse(trimmed, defaultCountry);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, result);
  return result;
}
