// Test support only (not exported from index.ts): deterministic random
// mutations of a valid payload, and the invariant every adapter keeps on them.
import assert from 'node:assert/strict';

import type { AdapterResult } from './normalised-alert.js';

/** mulberry32: a small seeded PRNG, so every run feeds the same mutations. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

type Container = Record<string, unknown> | unknown[];
type Slot = { parent: Container; key: string | number };

const HUGE = 'x'.repeat(200_000);
const HUGE_UNICODE = '\u{1F525}'.repeat(50_000);
const ODD_VALUES: readonly unknown[] = [
  null,
  undefined,
  true,
  false,
  0,
  -1,
  1e308,
  Number.NaN,
  '',
  '   ',
  '\u0000',
  'not-a-date',
  '9999-99-99T99:99:99Z',
  '__proto__',
  'constructor',
  'javascript:alert(1)',
  {},
  [],
  [[]],
  { toString: 'x' },
  HUGE,
  HUGE_UNICODE,
];

const slotsOf = (value: unknown, out: Slot[] = []): Slot[] => {
  if (Array.isArray(value)) {
    value.forEach((child: unknown, i) => {
      out.push({ parent: value, key: i });
      slotsOf(child, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      out.push({ parent: record, key });
      slotsOf(record[key], out);
    }
  }
  return out;
};

const get = (slot: Slot): unknown =>
  Array.isArray(slot.parent) ? slot.parent[slot.key as number] : slot.parent[slot.key as string];

const set = (slot: Slot, value: unknown): void => {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else
    Object.defineProperty(slot.parent, slot.key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
};

const remove = (slot: Slot): void => {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else delete slot.parent[slot.key as string];
};

const swapType = (value: unknown): unknown => {
  if (typeof value === 'string') return value.length > 0 ? value.length : 42;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 1;
  if (Array.isArray(value)) return { length: value.length };
  if (typeof value === 'object' && value !== null) return Object.values(value);
  return {};
};

/** A deep copy of `valid` with one to four random mutations; sometimes the whole body is replaced. */
export const mutate = (valid: unknown, random: () => number): unknown => {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  if (random() < 0.03) return pick([null, undefined, 42, 'body', [], [valid], true]);
  const copy = structuredClone(valid);
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const slots = slotsOf(copy);
    if (slots.length === 0) break;
    const slot = pick(slots);
    switch (Math.floor(random() * 7)) {
      case 0:
        remove(slot);
        break;
      case 1:
        set(slot, null);
        break;
      case 2:
        set(slot, swapType(get(slot)));
        break;
      case 3:
        set(slot, random() < 0.5 ? HUGE : HUGE_UNICODE);
        break;
      case 4:
        set(slot, pick(ODD_VALUES));
        break;
      case 5:
        set(slot, [get(slot)]);
        break;
      default: {
        const target = get(slot);
        if (typeof target === 'object' && target !== null && !Array.isArray(target))
          Object.defineProperty(target, pick(['__proto__', 'constructor', 'toString', HUGE]), {
            value: pick(ODD_VALUES),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else set(slot, pick(ODD_VALUES));
      }
    }
  }
  return copy;
};

const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];

/** The adapter contract: never throws; ok with well-formed alerts, or a non-empty list of error strings. */
export const assertAdapterContract = (result: AdapterResult): void => {
  if (result.ok) {
    assert.ok(Array.isArray(result.alerts));
    for (const alert of result.alerts) {
      assert.equal(typeof alert.dedupKey, 'string');
      assert.equal(typeof alert.groupKey, 'string');
      assert.equal(typeof alert.fact, 'string');
      assert.equal(typeof alert.summary, 'string');
      assert.ok(SEVERITIES.includes(alert.severity), `severity ${String(alert.severity)}`);
      assert.ok(['trigger', 'acknowledge', 'resolve'].includes(alert.action));
      for (const v of Object.values(alert.labels)) assert.equal(typeof v, 'string');
      for (const v of Object.values(alert.annotations)) assert.equal(typeof v, 'string');
      for (const link of alert.links) assert.match(link.href, /^https?:/);
    }
  } else {
    assert.ok(Array.isArray(result.errors) && result.errors.length > 0, 'errors must be non-empty');
    for (const e of result.errors) assert.ok(typeof e === 'string' && e.length > 0);
    assert.ok(result.errors.length <= 101, 'errors are capped');
  }
};

/** Feeds `runs` mutations of `valid` to `adapter`, asserting the contract on each. */
export const fuzzAdapter = (
  valid: unknown,
  adapter: (body: unknown) => AdapterResult,
  runs = 500,
  seed = 20_260_801,
): { ok: number; rejected: number } => {
  const random = seededRandom(seed);
  let ok = 0;
  let rejected = 0;
  for (let i = 0; i < runs; i++) {
    const input = mutate(valid, random);
    let result: AdapterResult;
    try {
      result = adapter(input);
    } catch (error) {
      assert.fail(`run ${i} threw: ${String(error)}`);
    }
    assertAdapterContract(result);
    if (result.ok) ok++;
    else rejected++;
  }
  return { ok, rejected };
};
