import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  formatWallTime,
  fromWallTime,
  HOUR_MS,
  isValidTimeZone,
  MINUTE_MS,
  parseWallTime,
  toWallTime,
  weekdayOfWall,
  zoneOffset,
} from './zone.js';

const wall = (text: string): number => {
  const parsed = parseWallTime(text);
  assert.ok(parsed !== null, `bad wall time in test: ${text}`);
  return parsed;
};
const instant = (iso: string): number => Date.parse(iso);

/** A small deterministic PRNG, so the property tests are repeatable. */
const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

describe('isValidTimeZone', () => {
  const cases: [string, boolean][] = [
    ['Europe/London', true],
    ['America/New_York', true],
    ['Australia/Lord_Howe', true],
    ['UTC', true],
    ['US/Eastern', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['+01:00', false],
    ['-05:00', false],
    ['Europe/London ', false],
  ];
  for (const [zone, valid] of cases) {
    it(`${JSON.stringify(zone)} is ${valid ? 'valid' : 'refused'}`, () => {
      assert.equal(isValidTimeZone(zone), valid);
    });
  }
});

describe('parseWallTime', () => {
  it('round-trips through formatWallTime', () => {
    assert.equal(formatWallTime(wall('2026-03-08T02:30')), '2026-03-08T02:30:00');
    assert.equal(formatWallTime(wall('0050-01-02T03:04:05')), '0050-01-02T03:04:05');
  });
  it('refuses impossible dates and times', () => {
    for (const text of ['2026-02-30T00:00', '2026-01-01T24:00', '2026-01-01 09:00', '2026-1-1T09:00']) {
      assert.equal(parseWallTime(text), null, text);
    }
  });
  it('knows the weekday', () => {
    assert.equal(weekdayOfWall(wall('2026-03-08T12:00')), 'sun');
    assert.equal(weekdayOfWall(wall('2026-03-09T00:00')), 'mon');
  });
});

describe('toWallTime and zoneOffset', () => {
  const cases: { zone: string; at: string; wall: string; offsetMinutes: number }[] = [
    { zone: 'Europe/London', at: '2026-01-15T12:00:00Z', wall: '2026-01-15T12:00:00', offsetMinutes: 0 },
    { zone: 'Europe/London', at: '2026-07-15T12:00:00Z', wall: '2026-07-15T13:00:00', offsetMinutes: 60 },
    { zone: 'Europe/London', at: '2026-03-29T00:59:59Z', wall: '2026-03-29T00:59:59', offsetMinutes: 0 },
    { zone: 'Europe/London', at: '2026-03-29T01:00:00Z', wall: '2026-03-29T02:00:00', offsetMinutes: 60 },
    {
      zone: 'America/New_York',
      at: '2026-03-08T06:59:00Z',
      wall: '2026-03-08T01:59:00',
      offsetMinutes: -300,
    },
    {
      zone: 'America/New_York',
      at: '2026-03-08T07:00:00Z',
      wall: '2026-03-08T03:00:00',
      offsetMinutes: -240,
    },
    {
      zone: 'America/New_York',
      at: '2026-11-01T05:30:00Z',
      wall: '2026-11-01T01:30:00',
      offsetMinutes: -240,
    },
    {
      zone: 'America/New_York',
      at: '2026-11-01T06:30:00Z',
      wall: '2026-11-01T01:30:00',
      offsetMinutes: -300,
    },
    {
      zone: 'America/New_York',
      at: '2027-01-01T04:59:59Z',
      wall: '2026-12-31T23:59:59',
      offsetMinutes: -300,
    },
    { zone: 'Asia/Kolkata', at: '2026-06-01T00:00:00Z', wall: '2026-06-01T05:30:00', offsetMinutes: 330 },
    { zone: 'Asia/Kathmandu', at: '2026-06-01T00:00:00Z', wall: '2026-06-01T05:45:00', offsetMinutes: 345 },
    {
      zone: 'Australia/Lord_Howe',
      at: '2026-01-15T00:00:00Z',
      wall: '2026-01-15T11:00:00',
      offsetMinutes: 660,
    },
    {
      zone: 'Australia/Lord_Howe',
      at: '2026-06-15T00:00:00Z',
      wall: '2026-06-15T10:30:00',
      offsetMinutes: 630,
    },
    { zone: 'UTC', at: '2026-06-15T00:00:00Z', wall: '2026-06-15T00:00:00', offsetMinutes: 0 },
  ];
  for (const c of cases) {
    it(`${c.zone} at ${c.at} reads ${c.wall} (UTC${c.offsetMinutes >= 0 ? '+' : ''}${c.offsetMinutes / 60})`, () => {
      assert.equal(formatWallTime(toWallTime(instant(c.at), c.zone)), c.wall);
      assert.equal(zoneOffset(instant(c.at), c.zone), c.offsetMinutes * MINUTE_MS);
    });
  }

  it('keeps milliseconds', () => {
    const at = instant('2026-07-15T12:00:00.250Z');
    assert.equal(toWallTime(at, 'Europe/London') - wall('2026-07-15T13:00:00'), 250);
  });
});

describe('fromWallTime', () => {
  const cases: { name: string; zone: string; wall: string; at: string }[] = [
    {
      name: 'an ordinary winter time',
      zone: 'Europe/London',
      wall: '2026-01-15T09:00',
      at: '2026-01-15T09:00:00.000Z',
    },
    {
      name: 'an ordinary summer time',
      zone: 'Europe/London',
      wall: '2026-07-15T09:00',
      at: '2026-07-15T08:00:00.000Z',
    },
    // London springs forward at 01:00 GMT: 01:00–01:59 does not exist on 29 March 2026.
    {
      name: 'London gap → the jump (02:00 BST)',
      zone: 'Europe/London',
      wall: '2026-03-29T01:30',
      at: '2026-03-29T01:00:00.000Z',
    },
    // London falls back at 02:00 BST: 01:00–01:59 happens twice on 25 October 2026.
    {
      name: 'London fold → first occurrence (BST)',
      zone: 'Europe/London',
      wall: '2026-10-25T01:30',
      at: '2026-10-25T00:30:00.000Z',
    },
    {
      name: 'London just after the fold',
      zone: 'Europe/London',
      wall: '2026-10-25T02:00',
      at: '2026-10-25T02:00:00.000Z',
    },
    // New York springs forward at 02:00 EST on 8 March 2026 and falls back at 02:00 EDT on 1 November.
    {
      name: 'New York gap 02:30 → 03:00 EDT',
      zone: 'America/New_York',
      wall: '2026-03-08T02:30',
      at: '2026-03-08T07:00:00.000Z',
    },
    {
      name: 'New York gap 02:00 → 03:00 EDT',
      zone: 'America/New_York',
      wall: '2026-03-08T02:00',
      at: '2026-03-08T07:00:00.000Z',
    },
    {
      name: 'New York 03:00 after the gap',
      zone: 'America/New_York',
      wall: '2026-03-08T03:00',
      at: '2026-03-08T07:00:00.000Z',
    },
    {
      name: 'New York 01:59 before the gap',
      zone: 'America/New_York',
      wall: '2026-03-08T01:59',
      at: '2026-03-08T06:59:00.000Z',
    },
    {
      name: 'New York fold 01:30 → 01:30 EDT',
      zone: 'America/New_York',
      wall: '2026-11-01T01:30',
      at: '2026-11-01T05:30:00.000Z',
    },
    {
      name: 'New York fold 01:00 → 01:00 EDT',
      zone: 'America/New_York',
      wall: '2026-11-01T01:00',
      at: '2026-11-01T05:00:00.000Z',
    },
    {
      name: 'New York 02:00 after the fold',
      zone: 'America/New_York',
      wall: '2026-11-01T02:00',
      at: '2026-11-01T07:00:00.000Z',
    },
    // Lord Howe moves by 30 minutes: 02:00 → 02:30 on 4 October 2026, 02:00 → 01:30 on 5 April 2026.
    {
      name: 'Lord Howe gap 02:15 → 02:30 +11',
      zone: 'Australia/Lord_Howe',
      wall: '2026-10-04T02:15',
      at: '2026-10-03T15:30:00.000Z',
    },
    {
      name: 'Lord Howe fold 01:45 → first (+11)',
      zone: 'Australia/Lord_Howe',
      wall: '2026-04-05T01:45',
      at: '2026-04-04T14:45:00.000Z',
    },
    {
      name: 'Lord Howe 01:15 before the fold',
      zone: 'Australia/Lord_Howe',
      wall: '2026-04-05T01:15',
      at: '2026-04-04T14:15:00.000Z',
    },
    {
      name: 'Kolkata, no DST, +05:30',
      zone: 'Asia/Kolkata',
      wall: '2026-03-08T02:30',
      at: '2026-03-07T21:00:00.000Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(new Date(fromWallTime(wall(c.wall), c.zone)).toISOString(), c.at);
    });
  }

  const zones = [
    'Europe/London',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'America/Santiago',
  ];
  for (const zone of zones) {
    it(`${zone}: is the first instant whose wall clock reaches the wall time, over a year of random times`, () => {
      const next = random(zone.length);
      const yearStart = instant('2026-01-01T00:00:00Z');
      for (let i = 0; i < 400; i++) {
        const at = yearStart + Math.floor(next() * 365 * 24 * 60) * MINUTE_MS;
        const w = toWallTime(at, zone);
        const first = fromWallTime(w, zone);
        assert.equal(toWallTime(first, zone), w, `${zone} ${new Date(at).toISOString()}`);
        assert.ok(first <= at, 'the first occurrence is not after the instant we started from');
        assert.ok(at - first <= HOUR_MS, 'a later occurrence is at most a fold (an hour) later');
        assert.ok(toWallTime(first - 1, zone) < w, 'a millisecond earlier the clocks had not got there');
      }
    });

    it(`${zone}: maps wall times to instants without ever going backwards, around each offset change`, () => {
      // Find the year's offset changes hour by hour, then walk the wall clock in 5-minute steps around each.
      const yearStart = instant('2026-01-01T00:00:00Z');
      const changes: number[] = [];
      for (let at = yearStart; at < yearStart + 365 * 24 * HOUR_MS; at += HOUR_MS) {
        if (zoneOffset(at, zone) !== zoneOffset(at + HOUR_MS, zone)) changes.push(at);
      }
      assert.equal(changes.length, zone === 'Asia/Kolkata' ? 0 : 2, 'two DST changes a year, or none');
      for (const change of [yearStart, ...changes]) {
        const from = toWallTime(change, zone) - 24 * HOUR_MS;
        let previous = -Infinity;
        for (let w = from; w < from + 48 * HOUR_MS; w += 5 * MINUTE_MS) {
          const at = fromWallTime(w, zone);
          assert.ok(at >= previous, `${zone} ${formatWallTime(w)}`);
          assert.ok(toWallTime(at, zone) >= w, `${zone} ${formatWallTime(w)} reads at least itself`);
          previous = at;
        }
      }
    });
  }
});
