import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { whoIsOnCall } from './on-call.js';
import type { ScheduleCommand } from './schedule-commands.js';
import { decideSchedule } from './schedule-decide.js';
import { SCHEDULE_EVENT_TYPES } from './schedule-events.js';
import type { ScheduleEvent, ScheduleState, TimedScheduleEvent } from './schedule-events.js';
import {
  evolveSchedule,
  foldSchedule,
  initialSchedule,
  scheduleAsOf,
  whoWasOnCall,
} from './schedule-evolve.js';
import { deepFreeze, layer, override } from './spec-fixtures.js';

const ID = 'sched-1';
const created: ScheduleEvent = {
  type: 'ScheduleCreated',
  data: { scheduleId: ID, name: 'Payments primary', timeZone: 'Europe/London', createdBy: 'alice' },
};
const added = (id: string, users = ['alice']): ScheduleEvent => ({
  type: 'ScheduleLayerAdded',
  data: { scheduleId: ID, layer: layer({ id, name: id, users }), addedBy: 'alice' },
});

const layerIds = (state: ScheduleState) => (state.status === 'active' ? state.layers.map((l) => l.id) : null);

describe('evolveSchedule', () => {
  it('creates the schedule with no layers or overrides', () => {
    assert.deepEqual(foldSchedule([created]), {
      status: 'active',
      id: ID,
      name: 'Payments primary',
      timeZone: 'Europe/London',
      layers: [],
      overrides: [],
    });
  });

  it('ignores everything before the schedule exists, and a second creation', () => {
    assert.deepEqual(foldSchedule([added('a')]), initialSchedule);
    const renamed = { ...created, data: { ...created.data, name: 'Other' } } as ScheduleEvent;
    const state = foldSchedule([created, renamed]);
    assert.equal(state.status === 'active' && state.name, 'Payments primary');
  });

  it('stacks layers in the order they were added, lowest first', () => {
    assert.deepEqual(layerIds(foldSchedule([created, added('a'), added('b'), added('c')])), ['a', 'b', 'c']);
  });

  it('ignores a second addition of the same layer id', () => {
    const state = foldSchedule([created, added('a', ['alice']), added('a', ['bob'])]);
    assert.deepEqual(state.status === 'active' && state.layers.map((l) => l.users), [['alice']]);
  });

  it('changes a layer in place, keeping its rank', () => {
    const changed: ScheduleEvent = {
      type: 'ScheduleLayerChanged',
      data: { scheduleId: ID, layer: layer({ id: 'a', name: 'a', users: ['zoe'] }), changedBy: 'bob' },
    };
    const state = foldSchedule([created, added('a'), added('b'), changed]);
    assert.deepEqual(layerIds(state), ['a', 'b']);
    assert.deepEqual(state.status === 'active' && state.layers[0]?.users, ['zoe']);
  });

  it('removes layers and overrides', () => {
    const state = foldSchedule([
      created,
      added('a'),
      added('b'),
      { type: 'ScheduleOverrideAdded', data: { scheduleId: ID, override: override(), addedBy: 'bob' } },
      { type: 'ScheduleLayerRemoved', data: { scheduleId: ID, layerId: 'a', removedBy: 'bob' } },
      { type: 'ScheduleOverrideRemoved', data: { scheduleId: ID, overrideId: 'ovr-1', removedBy: 'bob' } },
    ]);
    assert.deepEqual(layerIds(state), ['b']);
    assert.deepEqual(state.status === 'active' && state.overrides, []);
  });

  it('skips an event type it does not know', () => {
    const state = foldSchedule([created]);
    const unknown = { type: 'ScheduleArchived', data: { scheduleId: ID } } as unknown as ScheduleEvent;
    assert.equal(evolveSchedule(deepFreeze(state), unknown), state);
  });

  it('does not mutate the state it is given', () => {
    const state = deepFreeze(foldSchedule([created, added('a')]));
    assert.doesNotThrow(() => evolveSchedule(state, added('b')));
  });

  it('names every event type once', () => {
    assert.deepEqual([...SCHEDULE_EVENT_TYPES].sort(), [
      'ScheduleCreated',
      'ScheduleLayerAdded',
      'ScheduleLayerChanged',
      'ScheduleLayerRemoved',
      'ScheduleOverrideAdded',
      'ScheduleOverrideRemoved',
    ]);
  });
});

describe('decide then evolve', () => {
  it('builds a schedule from commands, each decided against the state the previous ones left', () => {
    const metadata = { now: '2026-01-05T12:00:00.000Z', actor: { kind: 'user', id: 'bob' } };
    const commands: ScheduleCommand[] = [
      {
        type: 'CreateSchedule',
        data: { scheduleId: ID, name: 'Payments', timeZone: 'Europe/London' },
        metadata,
      },
      { type: 'AddScheduleLayer', data: { scheduleId: ID, layer: layer({ id: 'a' }) }, metadata },
      {
        type: 'AddScheduleLayer',
        data: { scheduleId: ID, layer: layer({ id: 'b', users: ['dana'] }) },
        metadata,
      },
      { type: 'AddScheduleOverride', data: { scheduleId: ID, override: override() }, metadata },
      { type: 'RemoveScheduleLayer', data: { scheduleId: ID, layerId: 'a' }, metadata },
    ];
    const events: ScheduleEvent[] = [];
    for (const cmd of commands) {
      const decision = decideSchedule(cmd, foldSchedule(events));
      assert.ok(decision.ok, decision.ok ? '' : decision.error.message);
      events.push(...decision.events);
    }
    const state = foldSchedule(events);
    assert.deepEqual(layerIds(state), ['b']);
    assert.equal(
      state.status === 'active' && whoIsOnCall(state, new Date('2026-01-05T15:00:00Z')).userId,
      'erin',
    );
    assert.equal(
      state.status === 'active' && whoIsOnCall(state, new Date('2026-01-05T17:00:00Z')).userId,
      'dana',
    );
  });
});

describe('scheduleAsOf and whoWasOnCall: the schedule as it stood at an instant', () => {
  // Daily at 09:00 London (GMT in January) from Monday 5 January; the history below edits it.
  const history: TimedScheduleEvent[] = [
    { ...created, occurredAt: '2026-01-01T00:00:00.000Z' },
    { ...added('primary', ['alice', 'bob', 'carol']), occurredAt: '2026-01-01T00:00:00.000Z' },
    {
      type: 'ScheduleLayerChanged',
      data: {
        scheduleId: ID,
        layer: layer({ id: 'primary', name: 'primary', users: ['dana', 'erin'] }),
        changedBy: 'bob',
      },
      occurredAt: '2026-01-10T12:00:00.000Z',
    },
    {
      type: 'ScheduleOverrideAdded',
      data: {
        scheduleId: ID,
        override: override({
          userId: 'frank',
          start: '2026-01-12T10:00:00.000Z',
          end: '2026-01-12T14:00:00.000Z',
        }),
        addedBy: 'bob',
      },
      occurredAt: '2026-01-12T08:00:00.000Z',
    },
    {
      type: 'ScheduleOverrideRemoved',
      data: { scheduleId: ID, overrideId: 'ovr-1', removedBy: 'frank' },
      occurredAt: '2026-01-12T13:00:00.000Z',
    },
    {
      type: 'ScheduleLayerRemoved',
      data: { scheduleId: ID, layerId: 'primary', removedBy: 'bob' },
      occurredAt: '2026-01-20T00:00:00.000Z',
    },
  ];
  deepFreeze(history);

  const table: { at: string; then: string | null; why: string }[] = [
    { at: '2025-12-31T23:59:59.999Z', then: null, why: 'the schedule did not exist yet' },
    { at: '2026-01-06T10:00:00.000Z', then: 'bob', why: 'turn 1 of the original rota' },
    { at: '2026-01-10T11:59:59.999Z', then: 'carol', why: 'turn 5, the millisecond before the change' },
    {
      at: '2026-01-10T12:00:00.000Z',
      then: 'erin',
      why: 'turn 5 of the new rota: an event counts at its own instant',
    },
    { at: '2026-01-12T11:00:00.000Z', then: 'frank', why: 'the override was in force then' },
    { at: '2026-01-12T13:30:00.000Z', then: 'erin', why: 'the override had been removed' },
    { at: '2026-01-21T10:00:00.000Z', then: null, why: 'the layer is gone' },
  ];
  for (const { at, then, why } of table) {
    it(`at ${at}: ${then ?? 'nobody'} (${why})`, () => {
      assert.equal(whoWasOnCall(history, new Date(at))?.userId ?? null, then);
    });
  }

  it('differs from asking today’s schedule about the past', () => {
    const today = scheduleAsOf(history, new Date('2026-02-01T00:00:00.000Z'));
    assert.equal(today.status, 'active');
    if (today.status === 'active')
      assert.equal(whoIsOnCall(today, new Date('2026-01-06T10:00:00Z')).userId, null);
    assert.equal(whoWasOnCall(history, new Date('2026-01-06T10:00:00Z'))?.userId, 'bob');
  });

  it('is null before the schedule was created', () => {
    assert.equal(whoWasOnCall(history, new Date('2025-12-31T00:00:00Z')), null);
    assert.deepEqual(scheduleAsOf(history, new Date('2025-12-31T00:00:00Z')), initialSchedule);
  });

  it('takes events by their occurredAt, not their place in the stream', () => {
    // A backdated fact appended after a later one still counts from the instant it occurred.
    const backdated = [
      history[0]!,
      history[1]!,
      history[3]!,
      { ...history[2]!, occurredAt: '2026-01-08T00:00:00.000Z' },
    ];
    const state = scheduleAsOf(backdated, new Date('2026-01-09T00:00:00Z'));
    assert.deepEqual(state.status === 'active' && state.layers[0]?.users, ['dana', 'erin']);
    assert.deepEqual(state.status === 'active' && state.overrides, []);
  });

  it('refuses an invalid Date', () => {
    assert.throws(() => scheduleAsOf(history, new Date('nonsense')), RangeError);
  });
});
