import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkPolicyShape, delayAfterMs, exhaustionStep, planEscalation, stepOf } from './policy.js';
import type { EscalationPolicy } from './policy.js';

const policy = (fields: Partial<EscalationPolicy> = {}): EscalationPolicy => ({
  id: 'pol-1',
  name: 'Checkout',
  version: 1,
  levels: [
    { targets: [{ kind: 'schedule', id: 'primary' }], delayMinutes: 5 },
    { targets: [{ kind: 'user', id: 'dana' }], delayMinutes: 10 },
    { targets: [{ kind: 'channel', id: 'C1' }], delayMinutes: 15 },
  ],
  repeats: 1,
  ...fields,
});

const at = (minutes: number) =>
  new Date(Date.parse('2026-01-05T09:00:00.000Z') + minutes * 60_000).toISOString();

describe('stepOf: next level, repeat, exhausted', () => {
  it('walks the levels in order, then again for each repeat, then exhausts', () => {
    const p = policy();
    assert.deepEqual(
      Array.from({ length: 8 }, (_, s) => stepOf(p, s)),
      [
        { kind: 'page', step: 0, level: 1, repeat: 0 },
        { kind: 'page', step: 1, level: 2, repeat: 0 },
        { kind: 'page', step: 2, level: 3, repeat: 0 },
        { kind: 'page', step: 3, level: 1, repeat: 1 },
        { kind: 'page', step: 4, level: 2, repeat: 1 },
        { kind: 'page', step: 5, level: 3, repeat: 1 },
        { kind: 'exhaust', step: 6 },
        null,
      ],
    );
    assert.equal(exhaustionStep(p), 6);
  });

  it('without repeats, exhausts after the last level; one level, after it', () => {
    assert.deepEqual(stepOf(policy({ repeats: 0 }), 3), { kind: 'exhaust', step: 3 });
    const single = policy({
      levels: [{ targets: [{ kind: 'user', id: 'u' }], delayMinutes: 1 }],
      repeats: 2,
    });
    assert.deepEqual(
      [0, 1, 2, 3].map((s) => stepOf(single, s)?.kind),
      ['page', 'page', 'page', 'exhaust'],
    );
  });

  it('has nothing for a negative or fractional step', () => {
    assert.equal(stepOf(policy(), -1), null);
    assert.equal(stepOf(policy(), 1.5), null);
  });

  it("waits each level's own delay before the next step, and none after the exhaustion", () => {
    const p = policy();
    assert.deepEqual(
      [0, 1, 2, 3].map((s) => delayAfterMs(p, s) / 60_000),
      [5, 10, 15, 5],
    );
    assert.throws(() => delayAfterMs(p, 6), RangeError);
    assert.equal(delayAfterMs(policy({ levels: [{ targets: [], delayMinutes: 0.05 }] }), 0), 3000);
  });
});

describe('planEscalation: the plan on paper', () => {
  it('pages every level of every pass at its delay, then exhausts, when nobody acknowledges', () => {
    const plan = planEscalation(policy(), at(0));
    assert.deepEqual(
      plan.map((s) => [s.kind, s.kind === 'page' ? s.level : null, s.at]),
      [
        ['page', 1, at(0)],
        ['page', 2, at(5)],
        ['page', 3, at(15)],
        ['page', 1, at(30)],
        ['page', 2, at(35)],
        ['page', 3, at(45)],
        ['exhaust', null, at(60)],
      ],
    );
  });

  it('stops at the acknowledgement: no step at or after it', () => {
    assert.deepEqual(
      planEscalation(policy(), at(0), at(7)).map((s) => s.step),
      [0, 1],
    );
    assert.deepEqual(
      planEscalation(policy(), at(0), at(5)).map((s) => s.step),
      [0],
      'an acknowledgement at the instant a step falls due stops it',
    );
    assert.deepEqual(planEscalation(policy(), at(0), at(0)), []);
  });
});

describe('checkPolicyShape', () => {
  it('keeps a good policy, dropping repeated targets', () => {
    const checked = checkPolicyShape(
      [
        {
          targets: [
            { kind: 'user', id: 'a' },
            { kind: 'user', id: 'a' },
            { kind: 'schedule', id: 'a' },
          ],
          delayMinutes: 0.5,
        },
      ],
      0,
    );
    assert.deepEqual(checked, {
      ok: true,
      levels: [
        {
          targets: [
            { kind: 'user', id: 'a' },
            { kind: 'schedule', id: 'a' },
          ],
          delayMinutes: 0.5,
        },
      ],
      repeats: 0,
    });
  });

  it('names every problem with its field', () => {
    const checked = checkPolicyShape(
      [
        {
          targets: [
            { kind: 'pager', id: 'x' },
            { kind: 'user', id: '' },
          ],
          delayMinutes: 0,
        },
        { targets: [], delayMinutes: 5 },
      ],
      10,
    );
    assert.equal(checked.ok, false);
    if (checked.ok) return;
    assert.deepEqual(checked.errors, [
      'repeats must be a whole number from 0 to 9',
      'levels[0].delayMinutes must be a number of minutes from 1/60 (a second) to 1440',
      'levels[0].targets[0].kind must be user, schedule or channel',
      'levels[0].targets[1].id must be a non-empty id',
      'levels[1].targets must list 1 to 50 targets',
    ]);
    assert.equal(checkPolicyShape([], 0).ok, false);
    assert.equal(checkPolicyShape('levels', 0).ok, false);
  });
});
