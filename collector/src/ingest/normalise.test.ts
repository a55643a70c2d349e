import { describe, expect, it } from 'vitest';
import { applyIpPolicy } from './enrich';
import { correctTimestamp, normaliseMessage } from './normalise';

describe('correctTimestamp', () => {
  it.each([
    ['clock behind: shifted forward', { original: 1_000, sentAt: 5_000, receivedAt: 100_000 }, 96_000],
    ['clock ahead: shifted back', { original: 200_000, sentAt: 200_500, receivedAt: 100_000 }, 99_500],
    ['no sentAt: trusted as is', { original: 1_000, sentAt: null, receivedAt: 100_000 }, 1_000],
    ['no timestamp: receivedAt', { original: null, sentAt: 5_000, receivedAt: 100_000 }, 100_000],
    ['sentAt before timestamp: no negative gap', { original: 5_000, sentAt: 1_000, receivedAt: 100_000 }, 100_000],
    ['clock right, 80 ms on the wire: trusted as is', { original: 1_000, sentAt: 5_000, receivedAt: 5_080 }, 1_000],
    ['clock right, slow network (5 s): trusted as is', { original: 1_000, sentAt: 5_000, receivedAt: 10_000 }, 1_000],
    ['clock 1 ms past the tolerance behind: corrected', { original: 1_000, sentAt: 5_000, receivedAt: 10_001 }, 6_001],
    ['clock slightly ahead: trusted as is', { original: 9_000, sentAt: 9_500, receivedAt: 8_000 }, 9_000],
    ['clock right, timestamp after sentAt: receivedAt', { original: 900_000, sentAt: 5_000, receivedAt: 5_080 }, 5_080],
    ['no sentAt, in the future: receivedAt', { original: 200_000, sentAt: null, receivedAt: 100_000 }, 100_000],
    ['no sentAt, within the tolerance ahead: trusted as is', { original: 105_000, sentAt: null, receivedAt: 100_000 }, 105_000],
  ])('%s', (_label, input, expected) => {
    expect(correctTimestamp(input)).toBe(expected);
  });
});

describe('normaliseMessage', () => {
  it('uses the batch sentAt when the message has none and gives an id when missing', () => {
    const event = normaliseMessage(
      { type: 'track', event: 'A', userId: 'u', timestamp: '2026-01-01T00:00:00.000Z' },
      { receivedAt: Date.parse('2026-01-01T00:01:00.000Z'), batchSentAt: '2026-01-01T00:00:01.000Z', newMessageId: () => 'gen-1' },
    );
    expect(event.messageId).toBe('gen-1');
    expect(event.timestamp).toBe(Date.parse('2026-01-01T00:00:59.000Z'));
    expect(event.originalTimestamp).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
  });
});

describe('applyIpPolicy', () => {
  it.each([
    ['203.0.113.77', 'truncate', '203.0.113.0'],
    ['203.0.113.77', 'keep', '203.0.113.77'],
    ['203.0.113.77', 'drop', null],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', 'truncate', '2001:db8:85a3::'],
    ['2001:db8::1', 'truncate', '2001:db8:0::'],
    ['not-an-ip', 'truncate', null],
  ] as const)('%s with %s', (ip, policy, expected) => {
    expect(applyIpPolicy(ip, policy)).toBe(expected);
  });
});
