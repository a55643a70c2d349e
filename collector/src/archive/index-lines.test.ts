import { describe, expect, it } from 'vitest';
import { parseLines, shiftLines } from './index-lines';

describe('archive index lines', () => {
  it.each([
    ['', []],
    ['0', [0]],
    ['4,0,17', [0, 4, 17]],
    ['3,x,-1,2', [2, 3]],
  ])('parses %j', (text, lines) => {
    expect(parseLines(text)).toEqual(lines);
  });

  it.each<[number[], number[], number[]]>([
    [[0, 2, 5], [], [0, 2, 5]],
    [[0, 2, 5], [1, 2], [0, 3]],
    [[0, 1, 2], [0, 1, 2], []],
    [[3, 4], [0], [2, 3]],
    [[0, 9], [5, 1, 3], [0, 6]],
    [[7], [8, 9], [7]],
  ])('shifts %j without %j to %j', (lines, dropped, shifted) => {
    expect(shiftLines(lines, dropped)).toEqual(shifted);
  });
});
