// One layer on its own: its rotation's turns, and the stretches where it has someone on call once its
// restrictions are applied. Instants are epoch milliseconds; intervals are half-open, [start, end).
import { parseLocalTime } from './schedule.js';
import type { Restriction, Rotation, ScheduleLayer } from './schedule.js';
import {
  DAY_MS,
  fromWallTime,
  HOUR_MS,
  MINUTE_MS,
  startOfWallDay,
  toWallTime,
  weekdayOfWall,
} from './zone.js';

/** One turn of a rotation: `users[userIndex]` holds it in [start, end), before restrictions. */
export type Turn = { index: number; userIndex: number; userId: string; start: number; end: number };

/** A stretch in which a layer has someone on call: all or part of one turn, inside its restrictions. */
export type LayerSegment = { start: number; end: number; turn: Turn };

export type Interval = { start: number; end: number };

/** The length of one turn in wall-clock milliseconds. */
export const rotationLength = (rotation: Rotation): number => {
  switch (rotation.kind) {
    case 'daily':
      return DAY_MS;
    case 'weekly':
      return 7 * DAY_MS;
    case 'custom':
      return rotation.every * (rotation.unit === 'hours' ? HOUR_MS : DAY_MS);
  }
};

const minutesOf = (time: string, what: string, allowEndOfDay = false): number => {
  const minutes = parseLocalTime(time, allowEndOfDay);
  // decideSchedule refuses these, so a stored schedule never holds one.
  if (minutes === null) throw new RangeError(`${what} "${time}" is not an HH:MM time`);
  return minutes;
};

/** A layer's rotation: which turn holds any instant, and the turn with any index. */
export type LayerRotation = {
  /** The layer's start instant: turn 0 begins here. */
  readonly start: number;
  /** The turn holding `at`, or null before the layer starts. */
  turnAt(at: number): Turn | null;
  /** Turn `index` (0 and up). A turn can be empty when DST skips all of it (hourly rotations only). */
  turn(index: number): Turn;
};

export const layerRotation = (layer: ScheduleLayer, zone: string): LayerRotation => {
  const start = Date.parse(layer.start);
  if (Number.isNaN(start))
    throw new RangeError(`Layer ${layer.id} starts at "${layer.start}", not an instant`);
  if (layer.users.length === 0) throw new RangeError(`Layer ${layer.id} has no users`);
  const length = rotationLength(layer.rotation);
  // Handoff k is at wall time anchor + k × length; k runs over all integers, negative ones included
  // (an 8-hour rotation handing off at 09:00 also hands off at 01:00 on the start date).
  const anchor =
    startOfWallDay(toWallTime(start, zone)) + minutesOf(layer.handoffTime, 'Handoff time') * MINUTE_MS;
  const handoffs = new Map<number, number>();
  const handoff = (k: number): number => {
    let at = handoffs.get(k);
    if (at === undefined) {
      at = fromWallTime(anchor + k * length, zone);
      handoffs.set(k, at);
    }
    return at;
  };
  // The largest k whose handoff is at or before `at` (handoffs never decrease as k grows).
  const lastHandoffAtOrBefore = (at: number): number => {
    let k = Math.floor((toWallTime(at, zone) - anchor) / length);
    while (handoff(k) > at) k--;
    while (handoff(k + 1) <= at) k++;
    return k;
  };
  // The first handoff strictly after the start ends turn 0.
  const first = lastHandoffAtOrBefore(start) + 1;
  const turn = (index: number): Turn => {
    const userIndex = index % layer.users.length;
    return {
      index,
      userIndex,
      userId: layer.users[userIndex] ?? '',
      start: index === 0 ? start : handoff(first + index - 1),
      end: handoff(first + index),
    };
  };
  return {
    start,
    turn,
    turnAt: (at) => (at < start ? null : turn(Math.max(0, lastHandoffAtOrBefore(at) - first + 1))),
  };
};

/**
 * The instants inside any of `restrictions` that overlap [from, to), merged into disjoint intervals in
 * order. Window edges are wall-clock times, mapped to instants like handoffs (see fromWallTime).
 */
export const restrictionWindows = (
  restrictions: readonly Restriction[],
  zone: string,
  from: number,
  to: number,
): Interval[] => {
  const windows: Interval[] = [];
  // A window lasts at most 24 hours, so one that overlaps `from` starts on from's day or the day before.
  const lastDay = startOfWallDay(toWallTime(to, zone));
  for (let day = startOfWallDay(toWallTime(from, zone)) - DAY_MS; day <= lastDay; day += DAY_MS) {
    const weekday = weekdayOfWall(day);
    for (const restriction of restrictions) {
      if (restriction.kind === 'weekly' && !restriction.days.includes(weekday)) continue;
      const startMinutes = minutesOf(restriction.start, 'Restriction start');
      const endMinutes = minutesOf(restriction.end, 'Restriction end', true);
      const endDay = endMinutes > startMinutes ? day : day + DAY_MS;
      const start = fromWallTime(day + startMinutes * MINUTE_MS, zone);
      const end = fromWallTime(endDay + endMinutes * MINUTE_MS, zone);
      if (start < end && end > from && start < to) windows.push({ start, end });
    }
  }
  windows.sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const window of windows) {
    const last = merged.at(-1);
    if (last && window.start <= last.end) last.end = Math.max(last.end, window.end);
    else merged.push({ ...window });
  }
  return merged;
};

/** Where `layer` has someone on call within [from, to), in order, each segment inside one turn. */
export const layerSegments = (
  layer: ScheduleLayer,
  zone: string,
  from: number,
  to: number,
): LayerSegment[] => {
  const rotation = layerRotation(layer, zone);
  const low = Math.max(from, rotation.start);
  if (low >= to) return [];
  const windows =
    layer.restrictions.length > 0
      ? restrictionWindows(layer.restrictions, zone, low, to)
      : [{ start: low, end: to }];
  const segments: LayerSegment[] = [];
  let next = 0;
  for (let turn = rotation.turnAt(low); turn && turn.start < to; turn = rotation.turn(turn.index + 1)) {
    const start = Math.max(turn.start, low);
    const end = Math.min(turn.end, to);
    while ((windows[next]?.end ?? Infinity) <= start) next++;
    for (let i = next; i < windows.length; i++) {
      const window = windows[i]!;
      if (window.start >= end) break;
      const segment = { start: Math.max(start, window.start), end: Math.min(end, window.end), turn };
      if (segment.start < segment.end) segments.push(segment);
    }
  }
  return segments;
};
