// instantOf against Date.parse where the ledger form's date is not digits: V8's fallback parser skips a
// parenthesised comment, so a time of day after a '(' in the date is not part of the instant.
import { describe, expect, it } from 'vitest';
import { instantOf } from '../../lib/bills/boundary.js';

describe('instantOf, a date that is not digits', () => {
  it('agrees with Date.parse when the date holds a "(" (the rest of the string is a comment to Date.parse)', () => {
    for (const text of ['2026-11-(6T13:45:10.123+08:00', '2022-11(36T23:59:59.999+08:00', '2026-(N-26T01:02:03.004+08:00', '+0(6-11-46T12:00:00.000+08:00']) {
      // Twice: the first call remembers the date's midnight, the second reads through it.
      expect(Object.is(instantOf(text), Date.parse(text)), text).toBe(true);
      expect(Object.is(instantOf(text), Date.parse(text)), text).toBe(true);
    }
  });
});
