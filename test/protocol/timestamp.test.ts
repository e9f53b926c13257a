// China time is UTC+8 whatever the process TZ: checked against fixed instants, against Intl's
// Asia/Shanghai rendering, and by switching process.env.TZ inside the test.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chinaDate,
  chinaTimestamp,
  compactChinaTimeToIso,
  isoToCompactChinaTime,
  parseChinaTimestamp,
  toChinaIso,
} from '../../lib/protocol/timestamp.js';

const shanghai = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

// From 1992: China observed DST 1986–1991, which the platform (fixed UTC+8) does not.
const instants = fc.integer({ min: Date.UTC(1992, 0, 1), max: Date.UTC(2099, 11, 31) }).map((ms) => new Date(ms));
const originalTz = process.env.TZ;

afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe('chinaTimestamp', () => {
  it('renders fixed instants in UTC+8', () => {
    expect(chinaTimestamp(new Date('2026-11-25T16:00:00Z'))).toBe('2026-11-26 00:00:00');
    expect(chinaTimestamp(new Date('2026-11-25T15:59:59.999Z'))).toBe('2026-11-25 23:59:59');
    expect(chinaTimestamp(new Date('2016-05-12T11:01:07Z'))).toBe('2016-05-12 19:01:07');
    expect(chinaTimestamp(new Date('2024-02-28T16:30:00Z'))).toBe('2024-02-29 00:30:00');
    expect(chinaTimestamp(new Date('2026-12-31T20:00:00Z'))).toBe('2027-01-01 04:00:00');
  });

  it('agrees with Intl Asia/Shanghai for any instant', () => {
    fc.assert(
      fc.property(instants, (at) => {
        expect(chinaTimestamp(at)).toBe(shanghai.format(at));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the process time zone', () => {
    const at = new Date('2026-03-08T07:30:00Z'); // a US DST switch day
    const results = ['UTC', 'America/New_York', 'Asia/Shanghai', 'Pacific/Kiritimati', 'America/Los_Angeles'].map(
      (zone) => {
        process.env.TZ = zone;
        return [chinaTimestamp(at), chinaDate(at), toChinaIso(at)].join('|');
      },
    );
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toBe('2026-03-08 15:30:00|20260308|2026-03-08T15:30:00.000+08:00');
  });

  it('round-trips through parseChinaTimestamp to the second', () => {
    fc.assert(
      fc.property(instants, (at) => {
        const seconds = Math.floor(at.getTime() / 1000) * 1000;
        expect(parseChinaTimestamp(chinaTimestamp(at)).getTime()).toBe(seconds);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseChinaTimestamp', () => {
  it('reads China time', () => {
    expect(parseChinaTimestamp('2026-11-26 00:00:00').toISOString()).toBe('2026-11-25T16:00:00.000Z');
  });
  it.each([['2026-02-30 00:00:00'], ['2026-11-26T00:00:00'], ['2026-11-26 24:00:00'], [''], ['2026-11-26 00:00']])(
    'rejects %j',
    (text) => {
      expect(() => parseChinaTimestamp(text)).toThrow(RangeError);
    },
  );
});

describe('chinaDate, toChinaIso, compact times', () => {
  it('chinaDate turns over at 16:00 UTC', () => {
    expect(chinaDate(new Date('2026-11-25T15:59:59Z'))).toBe('20261125');
    expect(chinaDate(new Date('2026-11-25T16:00:00Z'))).toBe('20261126');
  });
  it('toChinaIso has milliseconds and +08:00', () => {
    expect(toChinaIso(new Date('2026-11-26T00:00:00Z'))).toBe('2026-11-26T08:00:00.000+08:00');
    expect(toChinaIso(new Date('2026-11-26T00:00:00.007Z'))).toBe('2026-11-26T08:00:00.007+08:00');
    fc.assert(
      fc.property(instants, (at) => {
        expect(new Date(toChinaIso(at)).getTime()).toBe(at.getTime());
      }),
    );
  });
  it('compactChinaTimeToIso', () => {
    expect(compactChinaTimeToIso('20160512190107')).toBe('2016-05-12T19:01:07+08:00');
    expect(() => compactChinaTimeToIso('20160231190107')).toThrow(RangeError);
    expect(() => compactChinaTimeToIso('2016051219010')).toThrow(RangeError);
  });
  it('isoToCompactChinaTime inverts it for any instant', () => {
    fc.assert(
      fc.property(instants, (at) => {
        const compact = isoToCompactChinaTime(at.toISOString());
        expect(compact).toBe(chinaTimestamp(at).replace(/[- :]/g, ''));
        expect(new Date(compactChinaTimeToIso(compact)).getTime()).toBe(Math.floor(at.getTime() / 1000) * 1000);
      }),
    );
  });
});
