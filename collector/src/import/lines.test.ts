import { describe, expect, it } from 'vitest';
import { LINE_TOO_LONG, readLines } from './lines';

const streamOf = (chunks: (string | number[])[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk));
      controller.close();
    },
  });

async function lines(chunks: (string | number[])[], maxChars?: number) {
  const out: (string | symbol)[] = [];
  for await (const line of readLines(streamOf(chunks), maxChars)) out.push(line);
  return out;
}

describe('readLines', () => {
  it.each([
    ['one chunk, \\n and \\r\\n', ['a\nb\r\nc'], ['a', 'b', 'c']],
    ['a line split across chunks', ['ab', 'c\nd'], ['abc', 'd']],
    ['\\r\\n split across chunks', ['a\r', '\nb'], ['a', 'b']],
    ['a trailing newline adds no empty line', ['a\n'], ['a']],
    ['blank lines are kept', ['a\n\nb'], ['a', '', 'b']],
    ['a multi-byte character split across chunks', [[0x63, 0x61, 0x66, 0xc3], [0xa9, 0x0a]], ['café']],
  ])('%s', async (_label, chunks, expected) => {
    expect(await lines(chunks)).toEqual(expected);
  });

  it.each([
    ['a long line in one chunk', ['ok\n' + 'x'.repeat(20) + '\nnext'], ['ok', LINE_TOO_LONG, 'next']],
    ['a long line growing over chunks', ['ok\nxxxxxx', 'xxxxxx', 'xxxxxx', 'xx\nnext\n'], ['ok', LINE_TOO_LONG, 'next']],
    ['a long last line without newline', ['ok\n', 'x'.repeat(30)], ['ok', LINE_TOO_LONG]],
    ['a line one past the cap, after one exactly at it (kept)', ['y'.repeat(10) + '\r\n' + 'z'.repeat(11) + '\r\n'], ['y'.repeat(10), LINE_TOO_LONG]],
  ])('%s is skipped to its end, once', async (_label, chunks, expected) => {
    expect(await lines(chunks, 10)).toEqual(expected);
  });
});
