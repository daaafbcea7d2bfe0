import type { Weekday } from './zone.js';

/** A local time of day, `HH:MM` on a 24-hour clock, read in the schedule's time zone. */
export type LocalTime = string;

/**
 * How long each turn of a rotation lasts, in wall-clock time of the schedule's zone: a daily
 * rotation hands off at the same local time every day, so across a DST change one turn is 23 or 25
 * hours long (24.5 or 23.5 in a zone that moves by half an hour).
 */
export type Rotation =
  { kind: 'daily' } | { kind: 'weekly' } | { kind: 'custom'; every: number; unit: 'hours' | 'days' };

/**
 * A window of local time in which a layer's users are on call; outside all of a layer's windows the
 * layer covers nobody and a lower layer (or nobody) answers. The rotation keeps turning regardless:
 * restrictions hide coverage, they do not pause or shift turns. `end` may be `24:00`; an `end` earlier
 * than `start` runs past midnight into the next day (`22:00`–`06:00`). `start` never equals `end`.
 */
export type Restriction =
  | { kind: 'daily'; start: LocalTime; end: LocalTime }
  /** Starts on each of `days` (the window itself may run into the following day). */
  | { kind: 'weekly'; days: Weekday[]; start: LocalTime; end: LocalTime };

/**
 * One layer of rotation. Handoffs happen at `handoffTime` (local) and then every rotation length of
 * wall-clock time: for daily, weekly and n-day rotations on the same local time every n days, counted
 * from the local date of `start`; for n-hour rotations every n hours from `handoffTime` on that date
 * (so one handoff a day falls at `handoffTime` when n divides 24).
 *
 * `users[0]` is on call from `start` until the first handoff *after* `start`, then `users[1]`, and so
 * on round the list. Give a `start` that is itself a handoff (e.g. Monday 09:00 local with a 09:00
 * handoff) and every turn, the first included, is a full rotation length.
 *
 * DST: a handoff (or restriction edge) at a local time the zone skips happens when the clocks jump
 * past it (02:30 on a New York spring-forward day: at 03:00 EDT); one at a local time the zone
 * repeats happens the first time round (01:30 on a fall-back day: at 01:30 EDT), and not again. In
 * an hourly rotation, a skipped hour is a turn that does not happen (its user is passed over) and a
 * repeated hour makes one turn two hours long. See `fromWallTime`.
 */
export type ScheduleLayer = {
  id: string;
  name: string;
  /** ISO-8601 instant; the layer covers nobody before it. */
  start: string;
  rotation: Rotation;
  handoffTime: LocalTime;
  /** User ids in rotation order; the same id may appear more than once. Never empty. */
  users: string[];
  /** Empty: on call around the clock. Several: on call inside any of them. */
  restrictions: Restriction[];
};

/** `userId` is on call in [start, end), above every layer. Of two overlapping overrides, the later added wins. */
export type ScheduleOverride = { id: string; userId: string; start: string; end: string };

/**
 * An on-call schedule. Layers are ordered lowest to highest: at any instant the highest layer that
 * has someone on call wins (PagerDuty-style layering), and an override beats every layer.
 */
export type Schedule = {
  id: string;
  name: string;
  /** IANA zone name; handoffs and restrictions are read on this zone's clocks. */
  timeZone: string;
  layers: ScheduleLayer[];
  overrides: ScheduleOverride[];
};

const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight of an `HH:MM` time (00:00–23:59; `24:00` too when `allowEndOfDay`), or null. */
export const parseLocalTime = (time: LocalTime, allowEndOfDay = false): number | null => {
  if (allowEndOfDay && time === '24:00') return 24 * 60;
  const match = typeof time === 'string' ? LOCAL_TIME.exec(time) : null;
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
};
