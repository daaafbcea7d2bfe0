// Who is on call: the layers and overrides of a schedule rendered into one timeline. At any instant the
// latest-added override in force wins; failing that, the highest layer with someone on call.
import { layerRotation, layerSegments } from './rotation.js';
import type { Turn } from './rotation.js';
import type { Schedule, ScheduleLayer, ScheduleOverride } from './schedule.js';

/** A rotation turn, with its instants as ISO-8601 strings. */
export type TurnInfo = { index: number; userIndex: number; start: string; end: string };

/** Why someone holds a shift: a layer's rotation turn, or an override. */
export type ShiftSource =
  | { kind: 'layer'; layerId: string; layerName: string; layerIndex: number; turn: TurnInfo }
  | { kind: 'override'; overrideId: string; start: string; end: string };

/** `userId` is on call in [start, end) because of `source`. */
export type Shift = { userId: string; start: string; end: string; source: ShiftSource };

/** What one layer says about an instant, whether or not it wins. */
export type LayerVerdict = { layerId: string; layerName: string; layerIndex: number } & (
  | { status: 'on-call'; userId: string; turn: TurnInfo }
  /** It is `userId`'s turn, but the instant is outside the layer's restrictions. */
  | { status: 'restricted'; userId: string; turn: TurnInfo }
  | { status: 'not-started'; startsAt: string }
);

/** The answer to "who is on call at `at`", with the reasoning a paging explanation needs. */
export type OnCall = {
  at: string;
  timeZone: string;
  userId: string | null;
  reason: ShiftSource | { kind: 'nobody' };
  /** The shift holding `at` as `shifts()` renders it (unclipped), or null when nobody is on call. */
  shift: { start: string; end: string } | null;
  /** Every layer's own answer, highest layer first. */
  layers: LayerVerdict[];
  /** The overrides in force at `at`, the winning one first. */
  overrides: ScheduleOverride[];
};

const iso = (at: number): string => new Date(at).toISOString();

const instantOf = (date: Date, what: string): number => {
  const at = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(at)) throw new RangeError(`${what} is not a valid Date`);
  return at;
};

const turnInfo = (turn: Turn): TurnInfo => ({
  index: turn.index,
  userIndex: turn.userIndex,
  start: iso(turn.start),
  end: iso(turn.end),
});

const layerSource = (layer: ScheduleLayer, layerIndex: number, turn: Turn): ShiftSource => ({
  kind: 'layer',
  layerId: layer.id,
  layerName: layer.name,
  layerIndex,
  turn: turnInfo(turn),
});

const overrideSource = (override: ScheduleOverride): ShiftSource => ({
  kind: 'override',
  overrideId: override.id,
  start: override.start,
  end: override.end,
});

/** A stretch of one source's coverage; `key` names the source and turn, so adjacent equal pieces merge. */
type Piece = { start: number; end: number; userId: string; key: string; source: () => ShiftSource };

/** Renders [from, to) into shifts: the highest-priority piece wins each instant. */
const render = (
  schedule: Schedule,
  from: number,
  to: number,
): { start: number; end: number; piece: Piece }[] => {
  // Lowest priority first: layers bottom to top, then overrides in the order they were added.
  const sources: Piece[][] = schedule.layers.map((layer, layerIndex) =>
    layerSegments(layer, schedule.timeZone, from, to).map((segment) => ({
      start: segment.start,
      end: segment.end,
      userId: segment.turn.userId,
      key: `layer:${layer.id}:${segment.turn.index}`,
      source: () => layerSource(layer, layerIndex, segment.turn),
    })),
  );
  for (const override of schedule.overrides) {
    const start = Math.max(from, Date.parse(override.start));
    const end = Math.min(to, Date.parse(override.end));
    sources.push(
      start < end
        ? [
            {
              start,
              end,
              userId: override.userId,
              key: `override:${override.id}`,
              source: () => overrideSource(override),
            },
          ]
        : [],
    );
  }
  const points = [...new Set([from, to, ...sources.flat().flatMap((p) => [p.start, p.end])])].sort(
    (a, b) => a - b,
  );
  const cursors = sources.map(() => 0);
  const shifts: { start: number; end: number; piece: Piece }[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    let winner: Piece | undefined;
    // Each source's pieces are disjoint and in order, and every piece edge is a point, so a piece
    // either covers [start, end) whole or not at all.
    for (let s = sources.length - 1; s >= 0 && !winner; s--) {
      const pieces = sources[s]!;
      while ((pieces[cursors[s]!]?.end ?? Infinity) <= start) cursors[s]!++;
      const piece = pieces[cursors[s]!];
      if (piece && piece.start <= start) winner = piece;
    }
    if (!winner) continue;
    const last = shifts.at(-1);
    if (last && last.end === start && last.piece.key === winner.key) last.end = end;
    else shifts.push({ start, end, piece: winner });
  }
  return shifts;
};

/**
 * The final on-call timeline of `schedule` within [from, to): who holds each stretch and why, in
 * order. Gaps (nobody on call) are absent. The first and last shifts are cut at `from` and `to`; a
 * shift ends where a different turn, layer or override takes over, even if the same user continues.
 */
export const shifts = (schedule: Schedule, from: Date, to: Date): Shift[] =>
  render(schedule, instantOf(from, 'from'), instantOf(to, 'to')).map(({ start, end, piece }) => ({
    userId: piece.userId,
    start: iso(start),
    end: iso(end),
    source: piece.source(),
  }));

const verdict = (layer: ScheduleLayer, layerIndex: number, zone: string, at: number): LayerVerdict => {
  const id = { layerId: layer.id, layerName: layer.name, layerIndex };
  const turn = layerRotation(layer, zone).turnAt(at);
  if (!turn) return { ...id, status: 'not-started', startsAt: layer.start };
  const covered = layerSegments(layer, zone, turn.start, turn.end).some((s) => s.start <= at && at < s.end);
  return { ...id, status: covered ? 'on-call' : 'restricted', userId: turn.userId, turn: turnInfo(turn) };
};

/**
 * Who is on call in `schedule` at `at`, and why. Pass the schedule as it was at `at` (see
 * `scheduleAsOf`) to answer for the past as the schedule then stood.
 */
export const whoIsOnCall = (schedule: Schedule, at: Date): OnCall => {
  const now = instantOf(at, 'at');
  const inForce = schedule.overrides
    .filter((o) => Date.parse(o.start) <= now && now < Date.parse(o.end))
    .reverse();
  const layers = schedule.layers.map((layer, i) => verdict(layer, i, schedule.timeZone, now)).reverse();
  const answer = { at: iso(now), timeZone: schedule.timeZone, layers, overrides: inForce };

  // The winner's own stretch bounds the rendered shift that holds `now`, so rendering it is enough.
  let stretch: { start: number; end: number } | undefined;
  const override = inForce[0];
  if (override) stretch = { start: Date.parse(override.start), end: Date.parse(override.end) };
  else {
    const top = layers.find((v) => v.status === 'on-call');
    const layer = top && schedule.layers[top.layerIndex];
    if (layer && top.status === 'on-call') {
      const turn = { start: Date.parse(top.turn.start), end: Date.parse(top.turn.end) };
      stretch = layerSegments(layer, schedule.timeZone, turn.start, turn.end).find(
        (s) => s.start <= now && now < s.end,
      );
    }
  }
  // Within an override's stretch no layer wins, so its overrides alone are rendered: the stretch
  // may be years long, and layers rendered across it would be a shift a day.
  const rendered = override ? { ...schedule, layers: [] } : schedule;
  const shift =
    stretch && render(rendered, stretch.start, stretch.end).find((s) => s.start <= now && now < s.end);
  if (!shift) return { ...answer, userId: null, reason: { kind: 'nobody' }, shift: null };
  return {
    ...answer,
    userId: shift.piece.userId,
    reason: shift.piece.source(),
    shift: { start: iso(shift.start), end: iso(shift.end) },
  };
};
