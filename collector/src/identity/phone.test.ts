import { describe, expect, it } from 'vitest';
import { isPhoneCountry, normalisePhone } from './phone';

describe('normalisePhone: Indonesian numbers as people type them', () => {
  // Telkomsel 0812, Indosat 0856, XL 0817, Smartfren 0881, Tri 0896, Jakarta 021, Surabaya 031, Bandung 022.
  it.each([
    ['+62 (0)812-3456-7890', 'ID', '+6281234567890'],
    ['+62 (0)812-3456-7890', undefined, '+6281234567890'],
    ['+62(0)81234567890', undefined, '+6281234567890'],
    ['+62 0812 3456 7890', undefined, '+6281234567890'],
    ['62812 3456 7890', 'ID', '+6281234567890'],
    ['6281234567890', 'ID', '+6281234567890'],
    ['6281234567890', undefined, '+6281234567890'],
    ['62-812-3456-7890', 'ID', '+6281234567890'],
    ['0812-3456-7890', 'ID', '+6281234567890'],
    ['0812.3456.7890', 'ID', '+6281234567890'],
    ['0812 3456 7890', 'ID', '+6281234567890'],
    ['081234567890', 'ID', '+6281234567890'],
    ['(0812) 3456 7890', 'ID', '+6281234567890'],
    ['812 3456 7890', 'ID', '+6281234567890'],
    [' +62 812 3456 7890 ', undefined, '+6281234567890'],
    ['+62-812-3456-7890', undefined, '+6281234567890'],
    ['(+62) 812 3456 7890', undefined, '+6281234567890'],
    ['+(62) 812-3456-7890', undefined, '+6281234567890'],
    ['0062 812 3456 7890', 'ID', '+6281234567890'],
    ['0062 812 3456 7890', undefined, '+6281234567890'],
    ['+62\u00a0812\u00a03456\u00a07890', undefined, '+6281234567890'],
    ['0812/3456/7890', 'id', '+6281234567890'],
    ['0856-4321-9876', 'ID', '+6285643219876'],
    ['0817 1234 567', 'ID', '+628171234567'],
    ['0881-2233-4455', 'ID', '+6288122334455'],
    ['0896 8765 4321', 'ID', '+6289687654321'],
    ['0811-1234-567', 'ID', '+628111234567'],
    ['(021) 5794-7000', 'ID', '+622157947000'],
    ['021 5794 7000', 'ID', '+622157947000'],
    ['+62 21 5794 7000', undefined, '+622157947000'],
    ['+62 (0)21 5794 7000', undefined, '+622157947000'],
    ['031-8281234', 'ID', '+62318281234'],
    ['(022) 4230 123', 'ID', '+62224230123'],
  ])('%j (%s) -> %s', (raw, country, expected) => {
    expect(normalisePhone(raw, country)).toBe(expected);
  });
});

describe('normalisePhone: other countries', () => {
  it.each([
    ['+1 (415) 555-2671', undefined, '+14155552671'],
    ['(415) 555-2671', 'US', '+14155552671'],
    ['1-415-555-2671', 'US', '+14155552671'],
    ['415.555.2671', 'US', '+14155552671'],
    ['0044 20 7946 0018', undefined, '+442079460018'],
    ['+44 (0)20 7946 0018', undefined, '+442079460018'],
    ['020 7946 0018', 'GB', '+442079460018'],
    ['07911 123456', 'GB', '+447911123456'],
    ['030 123456', 'DE', '+4930123456'],
    ['0151 23456789', 'DE', '+4915123456789'],
    ['612 345 678', 'ES', '+34612345678'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['9123 4567', 'SG', '+6591234567'],
    ['+65 9123 4567', 'ID', '+6591234567'],
    ['+60 12-345 6789', undefined, '+60123456789'],
    ['012-345 6789', 'MY', '+60123456789'],
    ['0917 123 4567', 'PH', '+639171234567'],
    ['081 234 5678', 'TH', '+66812345678'],
    ['091 234 56 78', 'VN', '+84912345678'],
    ['98765 43210', 'IN', '+919876543210'],
    ['0412 345 678', 'AU', '+61412345678'],
    ['090-1234-5678', 'JP', '+819012345678'],
    ['(11) 91234-5678', 'BR', '+5511912345678'],
    // A foreign number without +, invalid as a national one, read as international.
    ['447911123456', 'ID', '+447911123456'],
  ])('%j (%s) -> %s', (raw, country, expected) => {
    expect(normalisePhone(raw, country)).toBe(expected);
  });
});

describe('normalisePhone: never an identifier', () => {
  it.each([
    ['0812 345', 'ID', 'too short'],
    ['08123', 'ID', 'too short'],
    ['+62 811 123', undefined, 'too short'],
    ['62', 'ID', 'country code only'],
    ['+62', undefined, 'country code only'],
    ['+628123456789012', undefined, 'too long'],
    ['+62 999 9999 9999', undefined, 'not an Indonesian number range'],
    ['0000 0000 0000', 'ID', 'zeros'],
    ['0812-3456-7890', undefined, 'national, no default country'],
    ['020 7946 0018', undefined, 'national, no default country'],
    ['555-2671', 'XX', 'unknown country'],
    ['12', 'US', 'too short'],
    ['+1234567890123456', undefined, 'too long'],
    ['call me', 'ID', 'text'],
    ['0812-3456-7890 ext 12', 'ID', 'letters'],
    ['+62 812 3456 7890 +62', undefined, 'two plus signs'],
    ['', 'ID', 'empty'],
    ['+', 'ID', 'plus only'],
    ['() - .', 'ID', 'separators only'],
  ])('%j (%s): %s', (raw, country, _why) => {
    expect(normalisePhone(raw, country)).toBeNull();
  });

  it('gives the same answer the second time (cached per isolate)', () => {
    expect(normalisePhone('0812 3456 7890', 'ID')).toBe(normalisePhone('0812 3456 7890', 'ID'));
    expect(normalisePhone('0812 3456 7890', 'GB')).not.toBe('+6281234567890');
  });
});

describe('isPhoneCountry', () => {
  it.each([
    ['ID', true], ['id', true], ['US', true], ['GB', true], ['SG', true], ['XX', false], ['ZZ', false],
  ])('%s -> %s', (code, expected) => {
    expect(isPhoneCountry(code)).toBe(expected);
  });
});
