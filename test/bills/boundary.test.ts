// instantOf against Date.parse where the ledger form's date is not digits (V8's fallback parser skips a
// parenthesised comment, so a time of day after a '(' in the date is not part of the instant); isHeldOn's day edges.
import { describe, expect, it } from 'vitest';
import { instantOf, isHeldOn } from '../../lib/bills/boundary.js';

describe('instantOf, a date that is not digits', () => {
  it('agrees with Date.parse when the date holds a "(" (the rest of the string is a comment to Date.parse)', () => {
    for (const text of ['2026-11-(6T13:45:10.123+08:00', '2022-11(36T23:59:59.999+08:00', '2026-(N-26T01:02:03.004+08:00', '+0(6-11-46T12:00:00.000+08:00']) {
      // Twice: the first call remembers the date's midnight, the second reads through it.
      expect(Object.is(instantOf(text), Date.parse(text)), text).toBe(true);
      expect(Object.is(instantOf(text), Date.parse(text)), text).toBe(true);
    }
  });
});

describe('isHeldOn, the orders a day\'s reconciliation holds', () => {
  it('the day\'s own, and the day before\'s from 23:55 China time on; no other day\'s', () => {
    const at = (tradeDay: string, createdAt: string) => ({ tradeDay, createdAt });
    expect(isHeldOn(at('20261126', '2026-11-26T09:00:00.000+08:00'), '20261126')).toBe(true);
    expect(isHeldOn(at('20261125', '2026-11-25T23:55:00.000+08:00'), '20261126')).toBe(true);
    expect(isHeldOn(at('20261125', '2026-11-25T23:54:59.999+08:00'), '20261126')).toBe(false);
    expect(isHeldOn(at('20261120', '2026-11-20T23:58:00.000+08:00'), '20261126')).toBe(false);
    expect(isHeldOn(at('20261127', '2026-11-27T00:01:00.000+08:00'), '20261126')).toBe(false);
    // Across a month's end: the day before 1 December is 30 November.
    expect(isHeldOn(at('20261130', '2026-11-30T23:59:59.999+08:00'), '20261201')).toBe(true);
  });
});
