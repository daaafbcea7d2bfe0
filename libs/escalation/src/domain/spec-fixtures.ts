// Shared builders for the escalation domain specs. Not exported from index.ts.
import type { Schedule, ScheduleLayer, ScheduleOverride } from './schedule.js';

/** Monday 5 January 2026, 09:00 UTC: the default layer start. */
export const MONDAY_0900Z = '2026-01-05T09:00:00.000Z';

export const layer = (fields: Partial<ScheduleLayer> = {}): ScheduleLayer => ({
  id: 'primary',
  name: 'Primary',
  start: MONDAY_0900Z,
  rotation: { kind: 'daily' },
  handoffTime: '09:00',
  users: ['alice', 'bob', 'carol'],
  restrictions: [],
  ...fields,
});

export const override = (fields: Partial<ScheduleOverride> = {}): ScheduleOverride => ({
  id: 'ovr-1',
  userId: 'erin',
  start: '2026-01-05T14:00:00.000Z',
  end: '2026-01-05T16:00:00.000Z',
  ...fields,
});

export const schedule = (fields: Partial<Schedule> = {}): Schedule => ({
  id: 'sched-1',
  name: 'Payments primary',
  timeZone: 'UTC',
  layers: [layer()],
  overrides: [],
  ...fields,
});

/** ISO-8601 instant with milliseconds, as the domain writes them. */
export const iso = (text: string): string => new Date(text).toISOString();

export const HOUR = 3_600_000;

/** The length in hours of [start, end). */
export const hours = (shift: { start: string; end: string }): number =>
  (Date.parse(shift.end) - Date.parse(shift.start)) / HOUR;

/** Deep-freezes a value so a function that mutated its input would throw in a spec. */
export const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
};

/** A small deterministic PRNG, so property-style specs are repeatable. */
export const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
