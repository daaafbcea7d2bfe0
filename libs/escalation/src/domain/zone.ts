// Time-zone arithmetic on Intl alone (no tz library is a dependency). Instants are epoch milliseconds.
// A *wall time* is the local date and time a zone's clocks show, written as milliseconds on a naive
// timeline that has no DST (Date.UTC of the local fields), so "add one day" or "add 12 hours of wall
// clock" is plain addition and the calendar fields come back with getUTC*().

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const formatters = new Map<string, Intl.DateTimeFormat>();

// Throws RangeError for a zone Intl does not know. The cache only holds zones that worked.
const formatterFor = (zone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
};

/**
 * Whether `zone` is an IANA time-zone name this runtime knows ("Europe/London", "UTC", an alias such
 * as "US/Eastern"). Fixed offsets such as "+01:00" are refused even where Intl accepts them: a
 * schedule follows a place's clocks, not an offset.
 */
export const isValidTimeZone = (zone: string): boolean => {
  if (typeof zone !== 'string' || !/^[A-Za-z]/.test(zone)) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
};

/** Date.UTC without its two-digit-year quirk (years 0–99 are not 1900–1999 here). */
const naive = (year: number, month: number, day: number, hour: number, minute: number, second: number) => {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
};

// Both directions are memoised per zone: a schedule asks about the same handoffs and window edges
// again and again, and each Intl call costs microseconds. The caches are bounded and simply start
// over when full.
const CACHE_LIMIT = 50_000;
const wallSeconds = new Map<string, number>();
const instants = new Map<string, number>();
const remember = (cache: Map<string, number>, key: string, value: number): number => {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
};

const wallSecond = (second: number, zone: string): number => {
  const key = `${zone} ${second}`;
  const cached = wallSeconds.get(key);
  if (cached !== undefined) return cached;
  const fields: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(second)) fields[part.type] = part.value;
  const rawYear = Number(fields.year);
  const year = fields.era === 'BC' || fields.era === 'B' ? 1 - rawYear : rawYear;
  const hour = Number(fields.hour) % 24; // some ICU versions print midnight as 24 despite h23
  const wall = naive(
    year,
    Number(fields.month),
    Number(fields.day),
    hour,
    Number(fields.minute),
    Number(fields.second),
  );
  return remember(wallSeconds, key, wall);
};

/** The wall time `zone`'s clocks show at `instant`. */
export const toWallTime = (instant: number, zone: string): number => {
  const second = Math.floor(instant / 1000) * 1000;
  return wallSecond(second, zone) + (instant - second);
};

/** The zone's offset from UTC at `instant`, in milliseconds (positive east of Greenwich). */
export const zoneOffset = (instant: number, zone: string): number => toWallTime(instant, zone) - instant;

/**
 * The instant at which `zone`'s clocks first show `wall` or later. This one rule settles both DST
 * edge cases, and keeps the mapping from wall time to instant non-decreasing, so a later handoff is
 * never placed before an earlier one:
 * - a wall time that happens twice (01:30 on a fall-back night) is its *first* occurrence;
 * - a wall time that never happens (02:30 on a spring-forward night) is the moment the clocks jump
 *   over it (03:00 the new time in America/New_York). Temporal's "compatible" mode would say 03:30
 *   instead; we do not, because that would put a 02:30 handoff after a 03:00 one.
 *
 * Assumes a zone changes its offset at most once within any 48 hours, true of real time zones.
 */
export const fromWallTime = (wall: number, zone: string): number => {
  const key = `${zone} ${wall}`;
  return instants.get(key) ?? remember(instants, key, firstInstantReading(wall, zone));
};

const firstInstantReading = (wall: number, zone: string): number => {
  // The offsets a day either side are the only ones that can apply near `wall`: the one before and
  // the one after its change, if there is one.
  const offsets = new Set([zoneOffset(wall - DAY_MS, zone), zoneOffset(wall + DAY_MS, zone)]);
  if (offsets.size === 1) {
    const [offset = 0] = offsets;
    if (toWallTime(wall - offset, zone) === wall) return wall - offset;
    // Not expected of a real zone; widen the search rather than answer wrongly.
    offsets.add(zoneOffset(wall, zone));
    offsets.add(zoneOffset(wall - offset, zone));
  }
  const candidates = [...offsets].map((offset) => wall - offset).sort((a, b) => a - b);
  const first = candidates.find((instant) => toWallTime(instant, zone) === wall);
  if (first !== undefined) return first;
  // In a gap: the clocks read less than `wall` up to the jump and more after it. Find the jump.
  let low = candidates[0] ?? wall; // before the jump: reads wall - (after - before)
  let high = candidates.at(-1) ?? wall; // after the jump: reads wall + (after - before)
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (toWallTime(middle, zone) >= wall) high = middle;
    else low = middle;
  }
  return high;
};

/** Midnight at the start of the wall-clock day that `wall` falls on. */
export const startOfWallDay = (wall: number): number => Math.floor(wall / DAY_MS) * DAY_MS;

export const weekdayOfWall = (wall: number): Weekday => WEEKDAYS[new Date(wall).getUTCDay()] ?? 'sun';

/** `wall` as `YYYY-MM-DDTHH:MM:SS` (no zone), for messages and tests. */
export const formatWallTime = (wall: number): string => new Date(wall).toISOString().slice(0, 19);

/** Parses `YYYY-MM-DDTHH:MM[:SS]` (no zone) into a wall time, or null. */
export const parseWallTime = (text: string): number | null => {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  const wall = naive(year, month, day, hour, minute, second);
  return formatWallTime(wall) ===
    `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6] ?? '00'}`
    ? wall
    : null;
};
