import { describe, expect, it } from 'vitest';
import { cellValue } from './contacts';
import { CsvRecordReader } from './csv';

describe('CsvRecordReader', () => {
  it.each([
    ['plain', ['a,b,c'], [['a', 'b', 'c']]],
    ['quoted comma', ['a,"b, c"'], [['a', 'b, c']]],
    ['doubled quote', ['"say ""hi""",x'], [['say "hi"', 'x']]],
    ['empty fields', [',,'], [['', '', '']]],
    ['quoted newline spans lines', ['a,"one', 'two",b'], [null, ['a', 'one\ntwo', 'b']]],
  ])('%s', (_label, lines, expected) => {
    const reader = new CsvRecordReader();
    expect(lines.map((l) => reader.push(l))).toEqual(expected);
  });
});

describe('cellValue', () => {
  it.each([
    ['34', 34],
    ['-2.5', -2.5],
    ['01234', '01234'],
    ['TRUE', true],
    ['false', false],
    ['+6281234', '+6281234'],
    ['12345678901234567890', '12345678901234567890'],
    [' pro ', 'pro'],
  ])('%s', (raw, expected) => {
    expect(cellValue(raw)).toEqual(expected);
  });
});
