/**
 * Country calling codes and national trunk prefixes for the countries a workspace can name as
 * its `defaultCountry`. Numbers written with `+` or `00` work for every country; only national
 * numbers (no country code) need this table. Deliberately small and honest: a country not listed
 * here cannot be a default, and we do not pretend to validate numbering plans (libphonenumber is
 * 500 KB of metadata; a CDP only needs a stable key to match the same phone twice).
 */
export const COUNTRY_CALLING_CODES: Readonly<Record<string, { code: string; trunk?: string }>> = {
  US: { code: '1', trunk: '1' },
  CA: { code: '1', trunk: '1' },
  GB: { code: '44', trunk: '0' },
  IE: { code: '353', trunk: '0' },
  DE: { code: '49', trunk: '0' },
  FR: { code: '33', trunk: '0' },
  NL: { code: '31', trunk: '0' },
  BE: { code: '32', trunk: '0' },
  ES: { code: '34' },
  PT: { code: '351' },
  IT: { code: '39' },
  CH: { code: '41', trunk: '0' },
  AT: { code: '43', trunk: '0' },
  SE: { code: '46', trunk: '0' },
  NO: { code: '47' },
  DK: { code: '45' },
  FI: { code: '358', trunk: '0' },
  PL: { code: '48' },
  AU: { code: '61', trunk: '0' },
  NZ: { code: '64', trunk: '0' },
  JP: { code: '81', trunk: '0' },
  KR: { code: '82', trunk: '0' },
  CN: { code: '86', trunk: '0' },
  IN: { code: '91', trunk: '0' },
  ID: { code: '62', trunk: '0' },
  MY: { code: '60', trunk: '0' },
  SG: { code: '65' },
  PH: { code: '63', trunk: '0' },
  TH: { code: '66', trunk: '0' },
  VN: { code: '84', trunk: '0' },
  BR: { code: '55', trunk: '0' },
  MX: { code: '52' },
  AR: { code: '54', trunk: '0' },
  ZA: { code: '27', trunk: '0' },
  NG: { code: '234', trunk: '0' },
  KE: { code: '254', trunk: '0' },
  AE: { code: '971', trunk: '0' },
  TR: { code: '90', trunk: '0' },
  IL: { code: '972', trunk: '0' },
};

/** E.164: a country code and subscriber number, 8 to 15 digits in all, never starting with 0. */
const E164_DIGITS = /^[1-9]\d{7,14}$/;

/**
 * Normalises a phone number to E.164 (`+` and digits). Separators (spaces, dots, dashes,
 * parentheses) are ignored; `00` is read as the international prefix; a national number gets
 * the default country's calling code after its trunk prefix is dropped. Returns null when the
 * input is not a phone number we can read: then it is not used as an identifier.
 *
 * @example
 * normalisePhone('+1 (415) 555-2671') // -> '+14155552671'
 * normalisePhone('020 7946 0018', 'GB') // -> '+442079460018'
 * normalisePhone('020 7946 0018') // -> null (national number, no default country)
 */
export function normalisePhone(raw: string, defaultCountry?: string): string | null {
  const trimmed = raw.trim();
  if (!/^[+(\d][\d\s().\-/]*$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, '');
  let international: string | null = null;
  if (trimmed.startsWith('+')) international = digits;
  else if (digits.startsWith('00')) international = digits.slice(2);
  else {
    const country = defaultCountry ? COUNTRY_CALLING_CODES[defaultCountry.toUpperCase()] : undefined;
    if (!country) return null;
    let national = digits;
    if (country.trunk && national.startsWith(country.trunk)) {
      // NANP numbers written as 1-415-... carry the country code as a trunk prefix: 11 digits.
      if (country.code !== '1' || national.length === 11) national = national.slice(country.trunk.length);
    }
    international = country.code + national;
  }
  return E164_DIGITS.test(international) ? `+${international}` : null;
}
