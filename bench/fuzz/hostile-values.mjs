// Values that have broken real JSON APIs: wrong types, injection strings, unicode edge cases.

export const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE events; --",
  '" OR 1=1 --',
  "1; SELECT * FROM api_keys --",
  "x') UNION SELECT key_hash, 1, 1 FROM api_keys --",
  "$.batch[0]'",
  '%00%27%22',
  '\\\\x27',
  '${7*7}{{7*7}}<%= 7*7 %>',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%2e%2e%2f%2e%2e%2f',
  'x\r\nSet-Cookie: injected=1',
  'x\r\nX-Injected: 1\r\n\r\n<html>',
  '%0d%0aX-Injected:%201',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  "json_extract(properties, '$')",
  '*',
  '%',
  '_',
];

export const UNICODE = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '😀'.repeat(50),
  '\u202e\u0644\u0627', // right-to-left override + Arabic
  '\ufeffBOM',
  'Z\u0351\u0352\u0357\u035b\u0300\u0301\u0302'.repeat(20), // combining marks
  '\u2028\u2029',
  '\u{10ffff}',
  '\uffff\ufffe',
  'ＡＢＣ',
  'İıßẞ',
  '\t\n\r\v\f',
  ' ',
  '',
];

export function wrongTypes(r) {
  return [
    null,
    true,
    false,
    0,
    -1,
    1e308,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    [],
    [1, 'two', null],
    {},
    { nested: { deeper: [{}] } },
    '',
    ' ',
    'x'.repeat(r.pick([1025, 5000, 40_000])),
    r.pick(INJECTIONS),
    r.pick(UNICODE),
    '2026-13-45T99:99:99Z',
    'NaN',
    'undefined',
    '[object Object]',
  ];
}

/** A JSON text nested `depth` levels deep (arrays or objects), built as text so stringify is not recursing. */
export function deepJson(depth, kind = 'array') {
  return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
