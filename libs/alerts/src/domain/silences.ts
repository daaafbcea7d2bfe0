import { RE2JS } from 're2js';

/** Alertmanager's matcher operators: equal, not equal, regex match, regex non-match. */
export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];

export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
}

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
}

const MAX_PATTERN = 256;

/**
 * Regex matchers match the whole value in RE2's syntax, as Alertmanager's do (Go's regexp is RE2).
 * RE2 matches in time linear in the input, so no pattern can stall ingestion: a backtracking
 * engine took minutes over `(a+)+$` and a label of 40 characters.
 */
const pattern = (value: string) => RE2JS.compile(value);

/** What is wrong with a matcher, or null. */
export const matcherProblem = (m: Matcher): string | null => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name)) return `label name "${m.name}" is not a valid label name`;
  if (m.op === '=~' || m.op === '!~') {
    if (m.value.length > MAX_PATTERN) return `pattern is longer than ${MAX_PATTERN} characters`;
    try {
      pattern(m.value);
    } catch (error) {
      return `pattern does not compile: ${(error as Error).message}`;
    }
  }
  return null;
};

/**
 * Compiled patterns; null for one RE2 refuses. Matchers are checked when a silence is made, but one
 * stored before matchers took RE2's syntax may hold JavaScript-only syntax (lookaround): such a
 * silence silences nothing rather than failing every alert.
 */
const compiled = new Map<string, RE2JS | null>();
const regex = (value: string): RE2JS | null => {
  let r = compiled.get(value);
  if (r === undefined) {
    try {
      r = pattern(value);
    } catch {
      r = null;
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(value, r);
  }
  return r;
};

/** A missing label counts as the empty string, as in Alertmanager. */
export const matchesAll = (matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean =>
  matchers.every((m) => {
    const value = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
        return regex(m.value)?.matches(value) ?? false;
      case '!~':
        return regex(m.value)?.matches(value) === false;
    }
  });

export const isActive = (silence: Silence, now: string): boolean =>
  Date.parse(silence.startsAt) <= Date.parse(now) && Date.parse(now) < Date.parse(silence.endsAt);

/** The first active silence whose matchers all match, or null. */
export const silencing = (
  silences: readonly Silence[],
  labels: Readonly<Record<string, string>>,
  now: string,
) => silences.find((s) => isActive(s, now) && matchesAll(s.matchers, labels)) ?? null;
