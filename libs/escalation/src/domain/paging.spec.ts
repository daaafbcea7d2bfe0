import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveTargets } from './paging.js';
import type { PagingDirectory } from './paging.js';
import type { Schedule } from './schedule.js';
import { layer, override, schedule } from './spec-fixtures.js';
import type { User } from './user.js';

const users: User[] = [
  { id: 'alice', name: 'Alice', slackUserId: 'UALICE' },
  { id: 'bob', name: 'Bob', slackUserId: 'UBOB' },
  { id: 'carol', name: 'Carol' },
  { id: 'erin', name: 'Erin', slackUserId: 'UERIN' },
];
const directory = (...schedules: Schedule[]): PagingDirectory => ({
  user: (id) => users.find((u) => u.id === id),
  schedule: (id) => schedules.find((s) => s.id === id),
});
const context = { label: 'level 1 of policy Checkout v1' };
// Monday 5 January 2026: alice's daily turn from 09:00 UTC.
const MONDAY_NOON = new Date('2026-01-05T12:00:00.000Z');

describe('resolveTargets', () => {
  it('pages the on-call user of a schedule, and says which layer and turn', () => {
    const [outcome] = resolveTargets(
      [{ kind: 'schedule', id: 'sched-1' }],
      directory(schedule()),
      MONDAY_NOON,
      context,
    );
    assert.equal(outcome?.outcome, 'paged');
    if (outcome?.outcome !== 'paged') return;
    assert.deepEqual([outcome.userId, outcome.slackUserId, outcome.userName], ['alice', 'UALICE', 'Alice']);
    assert.match(
      outcome.explanation,
      /Alice is on call in schedule Payments primary: layer "Primary", turn 1/,
    );
  });

  it('an override wins over the layer, and the explanation names it', () => {
    const [outcome] = resolveTargets(
      [{ kind: 'schedule', id: 'sched-1' }],
      directory(schedule({ overrides: [override()] })),
      new Date('2026-01-05T15:00:00.000Z'),
      context,
    );
    assert.equal(outcome?.outcome === 'paged' && outcome.userId, 'erin');
    assert.match(outcome!.explanation, /by override ovr-1/);
  });

  it('pages nobody outside restricted hours, and says whose turn it was', () => {
    const restricted = schedule({
      layers: [layer({ restrictions: [{ kind: 'daily', start: '09:00', end: '11:00' }] })],
    });
    const [outcome] = resolveTargets(
      [{ kind: 'schedule', id: 'sched-1' }],
      directory(restricted),
      MONDAY_NOON,
      context,
    );
    assert.equal(outcome?.outcome, 'not-paged');
    if (outcome?.outcome !== 'not-paged') return;
    assert.equal(outcome.reason, 'nobody-on-call');
    assert.match(outcome.explanation, /it is Alice's turn, but outside the layer's restricted hours/);
  });

  it('pages each person once per level, and channels as they are', () => {
    const outcomes = resolveTargets(
      [
        { kind: 'user', id: 'alice' },
        { kind: 'schedule', id: 'sched-1' },
        { kind: 'channel', id: 'C42' },
        { kind: 'user', id: 'carol' },
      ],
      directory(schedule()),
      MONDAY_NOON,
      context,
    );
    assert.deepEqual(
      outcomes.map((o) => [o.outcome, o.outcome === 'paged' ? (o.userId ?? o.channelId) : o.reason]),
      [
        ['paged', 'alice'],
        ['not-paged', 'already-paged'],
        ['paged', 'C42'],
        ['paged', 'carol'],
      ],
    );
    assert.match(outcomes[3]!.explanation, /no Slack user id/);
  });

  it('names what does not exist: a user, a schedule, a user a schedule names', () => {
    const ghost = schedule({ layers: [layer({ users: ['ghost'] })] });
    const outcomes = resolveTargets(
      [
        { kind: 'user', id: 'nobody' },
        { kind: 'schedule', id: 'missing' },
        { kind: 'schedule', id: 'sched-1' },
      ],
      directory(ghost),
      MONDAY_NOON,
      context,
    );
    assert.deepEqual(
      outcomes.map((o) => o.outcome === 'not-paged' && o.reason),
      ['unknown-user', 'unknown-schedule', 'unknown-user'],
    );
  });
});
