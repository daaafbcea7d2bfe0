import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ScheduleCommand, ScheduleLayerInput } from './schedule-commands.js';
import { decideSchedule } from './schedule-decide.js';
import { scheduleErrorStatus } from './schedule-errors.js';
import type { ScheduleErrorCode } from './schedule-errors.js';
import type { ScheduleEvent } from './schedule-events.js';
import { foldSchedule } from './schedule-evolve.js';
import type { ScheduleLayer, ScheduleOverride } from './schedule.js';
import { deepFreeze, layer, override } from './spec-fixtures.js';

const ID = 'sched-1';
const NOW = '2026-01-05T12:00:00.000Z';

type WithoutMetadata<C> = C extends ScheduleCommand ? Omit<C, 'metadata'> : never;

/** A command as bob sends it at `now` (NOW unless told). */
const command = (c: WithoutMetadata<ScheduleCommand>, now = NOW): ScheduleCommand => ({
  ...c,
  metadata: { now, actor: { kind: 'user', id: 'bob' } },
});

const created: ScheduleEvent = {
  type: 'ScheduleCreated',
  data: { scheduleId: ID, name: 'Payments primary', timeZone: 'Europe/London', createdBy: 'alice' },
};
const layerAdded = (l: ScheduleLayer = layer()): ScheduleEvent => ({
  type: 'ScheduleLayerAdded',
  data: { scheduleId: ID, layer: l, addedBy: 'alice' },
});
const overrideAdded = (o: ScheduleOverride = override()): ScheduleEvent => ({
  type: 'ScheduleOverrideAdded',
  data: { scheduleId: ID, override: o, addedBy: 'alice' },
});

const create = (data: Partial<{ scheduleId: string; name: string; timeZone: string }> = {}) =>
  command({
    type: 'CreateSchedule',
    data: { scheduleId: ID, name: 'Payments primary', timeZone: 'Europe/London', ...data },
  });
const addLayer = (fields: Partial<ScheduleLayerInput> = {}) =>
  command({ type: 'AddScheduleLayer', data: { scheduleId: ID, layer: { ...layer(), ...fields } } });
const changeLayer = (fields: Partial<ScheduleLayerInput> = {}) =>
  command({ type: 'ChangeScheduleLayer', data: { scheduleId: ID, layer: { ...layer(), ...fields } } });
const addOverride = (fields: Partial<ScheduleOverride> = {}, now = NOW) =>
  command({ type: 'AddScheduleOverride', data: { scheduleId: ID, override: override(fields) } }, now);

type Case = {
  name: string;
  given: ScheduleEvent[];
  when: ScheduleCommand;
  then: ScheduleEvent[] | ScheduleErrorCode;
};

const run = ({ given, when, then }: Case): void => {
  // Frozen inputs: a decision that mutated its state or command would throw here.
  const decision = decideSchedule(deepFreeze(when), deepFreeze(foldSchedule(given)));
  if (typeof then === 'string') {
    assert.equal(decision.ok, false, 'expected a refusal');
    if (!decision.ok) {
      assert.equal(decision.error.code, then, decision.error.message);
      assert.ok(decision.error.message.length > 0);
    }
  } else {
    assert.deepEqual(decision, { ok: true, events: then });
  }
};

const cases: Record<string, Case[]> = {
  CreateSchedule: [
    {
      name: 'creates a schedule in a zone, trimming the name',
      given: [],
      when: create({ name: '  Payments primary ' }),
      then: [{ ...created, data: { ...created.data, createdBy: 'bob' } }],
    },
    {
      name: 'refuses an unknown zone',
      given: [],
      when: create({ timeZone: 'Mars/Olympus_Mons' }),
      then: 'UnknownTimeZone',
    },
    {
      name: 'refuses a fixed offset',
      given: [],
      when: create({ timeZone: '+01:00' }),
      then: 'UnknownTimeZone',
    },
    { name: 'refuses a blank name', given: [], when: create({ name: '  ' }), then: 'InvalidName' },
    { name: 'refuses a blank id', given: [], when: create({ scheduleId: '' }), then: 'InvalidId' },
    { name: 'refuses to create it twice', given: [created], when: create(), then: 'ScheduleAlreadyExists' },
  ],
  AddScheduleLayer: [
    {
      name: 'adds a layer, its start normalised to UTC, named after its place, with no restrictions',
      given: [created],
      when: command({
        type: 'AddScheduleLayer',
        data: {
          scheduleId: ID,
          layer: {
            id: 'primary',
            start: '2026-01-05T10:00:00+01:00',
            rotation: { kind: 'weekly' },
            handoffTime: '09:00',
            users: ['alice', 'bob'],
          },
        },
      }),
      then: [
        {
          type: 'ScheduleLayerAdded',
          data: {
            scheduleId: ID,
            layer: {
              id: 'primary',
              name: 'Layer 1',
              start: '2026-01-05T09:00:00.000Z',
              rotation: { kind: 'weekly' },
              handoffTime: '09:00',
              users: ['alice', 'bob'],
              restrictions: [],
            },
            addedBy: 'bob',
          },
        },
      ],
    },
    {
      name: 'names an unnamed second layer "Layer 2"',
      given: [created, layerAdded()],
      when: addLayer({ id: 'secondary', name: undefined, start: '2026-01-05T09:00:00.000Z' }),
      then: [
        layerAdded({ ...layer({ id: 'secondary', name: 'Layer 2' }), start: '2026-01-05T09:00:00.000Z' }),
      ].map((e) => ({ ...e, data: { ...e.data, addedBy: 'bob' } }) as ScheduleEvent),
    },
    {
      name: 'keeps restrictions, dropping fields that do not belong',
      given: [created],
      when: addLayer({
        start: '2026-01-05T09:00:00.000Z',
        restrictions: [
          { kind: 'daily', start: '22:00', end: '06:00', days: ['mon'] } as never,
          { kind: 'weekly', days: ['sat', 'sun'], start: '10:00', end: '24:00' },
        ],
      }),
      then: [
        {
          type: 'ScheduleLayerAdded',
          data: {
            scheduleId: ID,
            layer: layer({
              start: '2026-01-05T09:00:00.000Z',
              restrictions: [
                { kind: 'daily', start: '22:00', end: '06:00' },
                { kind: 'weekly', days: ['sat', 'sun'], start: '10:00', end: '24:00' },
              ],
            }),
            addedBy: 'bob',
          },
        },
      ],
    },
    {
      name: 'adding the same layer again is a no-op',
      given: [created, layerAdded(layer({ start: '2026-01-05T09:00:00.000Z' }))],
      when: addLayer({ start: '2026-01-05T09:00:00Z' }),
      then: [],
    },
    {
      name: 'refuses another layer with the same id',
      given: [created, layerAdded()],
      when: addLayer({ users: ['dana'] }),
      then: 'LayerAlreadyExists',
    },
    {
      name: 'refuses an empty user list',
      given: [created],
      when: addLayer({ users: [] }),
      then: 'EmptyUserList',
    },
    {
      name: 'refuses a blank user id',
      given: [created],
      when: addLayer({ users: ['alice', ' '] }),
      then: 'InvalidUserId',
    },
    { name: 'refuses a blank layer id', given: [created], when: addLayer({ id: '' }), then: 'InvalidId' },
    {
      name: 'refuses a blank layer name',
      given: [created],
      when: addLayer({ name: ' ' }),
      then: 'InvalidName',
    },
    {
      name: 'refuses a start that is not a date',
      given: [created],
      when: addLayer({ start: 'Monday' }),
      then: 'InvalidTimestamp',
    },
    {
      name: 'refuses a start without a zone',
      given: [created],
      when: addLayer({ start: '2026-01-05T09:00:00' }),
      then: 'InvalidTimestamp',
    },
    {
      name: 'refuses 30 February',
      given: [created],
      when: addLayer({ start: '2026-02-30T09:00:00Z' }),
      then: 'InvalidTimestamp',
    },
    {
      name: 'refuses handoff 9:00',
      given: [created],
      when: addLayer({ handoffTime: '9:00' }),
      then: 'InvalidLocalTime',
    },
    {
      name: 'refuses handoff 24:00',
      given: [created],
      when: addLayer({ handoffTime: '24:00' }),
      then: 'InvalidLocalTime',
    },
    {
      name: 'refuses a rotation of zero hours',
      given: [created],
      when: addLayer({ rotation: { kind: 'custom', every: 0, unit: 'hours' } }),
      then: 'InvalidRotation',
    },
    {
      name: 'refuses a fractional rotation',
      given: [created],
      when: addLayer({ rotation: { kind: 'custom', every: 1.5, unit: 'days' } }),
      then: 'InvalidRotation',
    },
    {
      name: 'refuses a rotation over a year',
      given: [created],
      when: addLayer({ rotation: { kind: 'custom', every: 400, unit: 'days' } }),
      then: 'InvalidRotation',
    },
    {
      name: 'refuses an unknown unit',
      given: [created],
      when: addLayer({ rotation: { kind: 'custom', every: 2, unit: 'weeks' as never } }),
      then: 'InvalidRotation',
    },
    {
      name: 'refuses an unknown rotation kind',
      given: [created],
      when: addLayer({ rotation: { kind: 'monthly' } as never }),
      then: 'InvalidRotation',
    },
    {
      name: 'refuses a restriction that starts where it ends',
      given: [created],
      when: addLayer({ restrictions: [{ kind: 'daily', start: '09:00', end: '09:00' }] }),
      then: 'InvalidRestriction',
    },
    {
      name: 'refuses a restriction of the whole day, 00:00–24:00',
      given: [created],
      when: addLayer({ restrictions: [{ kind: 'daily', start: '00:00', end: '24:00' }] }),
      then: 'InvalidRestriction',
    },
    {
      name: 'refuses restrictions that are not a list (a client sent 0)',
      given: [created],
      when: addLayer({ restrictions: 0 as never }),
      then: 'InvalidRestriction',
    },
    {
      name: 'refuses a restriction at 25:00',
      given: [created],
      when: addLayer({ restrictions: [{ kind: 'daily', start: '25:00', end: '06:00' }] }),
      then: 'InvalidLocalTime',
    },
    {
      name: 'refuses a weekly restriction with no days',
      given: [created],
      when: addLayer({ restrictions: [{ kind: 'weekly', days: [], start: '09:00', end: '17:00' }] }),
      then: 'InvalidRestriction',
    },
    {
      name: 'refuses a day named twice',
      given: [created],
      when: addLayer({
        restrictions: [{ kind: 'weekly', days: ['mon', 'mon'], start: '09:00', end: '17:00' }],
      }),
      then: 'InvalidRestriction',
    },
    {
      name: 'refuses a day that is not one',
      given: [created],
      when: addLayer({
        restrictions: [{ kind: 'weekly', days: ['funday' as never], start: '09:00', end: '17:00' }],
      }),
      then: 'InvalidRestriction',
    },
  ],
  ChangeScheduleLayer: [
    {
      name: 'replaces the layer, keeping its name when none is given',
      given: [created, layerAdded()],
      when: changeLayer({ name: undefined, users: ['dana', 'erin'] }),
      then: [
        {
          type: 'ScheduleLayerChanged',
          data: {
            scheduleId: ID,
            layer: layer({ users: ['dana', 'erin'], start: '2026-01-05T09:00:00.000Z' }),
            changedBy: 'bob',
          },
        },
      ],
    },
    {
      name: 'a change to what the layer already is is a no-op',
      given: [created, layerAdded(layer({ start: '2026-01-05T09:00:00.000Z' }))],
      when: changeLayer(),
      then: [],
    },
    {
      name: 'refuses an unknown layer',
      given: [created, layerAdded()],
      when: changeLayer({ id: 'nope' }),
      then: 'LayerNotFound',
    },
    {
      name: 'validates like an addition',
      given: [created, layerAdded()],
      when: changeLayer({ users: [] }),
      then: 'EmptyUserList',
    },
  ],
  RemoveScheduleLayer: [
    {
      name: 'removes a layer',
      given: [created, layerAdded()],
      when: command({ type: 'RemoveScheduleLayer', data: { scheduleId: ID, layerId: 'primary' } }),
      then: [
        { type: 'ScheduleLayerRemoved', data: { scheduleId: ID, layerId: 'primary', removedBy: 'bob' } },
      ],
    },
    {
      name: 'refuses an unknown layer',
      given: [created],
      when: command({ type: 'RemoveScheduleLayer', data: { scheduleId: ID, layerId: 'primary' } }),
      then: 'LayerNotFound',
    },
  ],
  AddScheduleOverride: [
    {
      name: 'adds an override, its instants normalised',
      given: [created, layerAdded()],
      when: addOverride({ start: '2026-01-05T15:00:00+01:00', end: '2026-01-05T16:00:00Z' }),
      then: [overrideAdded(override({ end: '2026-01-05T16:00:00.000Z' }))].map(
        (e) => ({ ...e, data: { ...e.data, addedBy: 'bob' } }) as ScheduleEvent,
      ),
    },
    {
      name: 'may start in the past if it ends in the future (taking over a shift now)',
      given: [created],
      when: addOverride({ start: '2026-01-05T11:00:00.000Z', end: '2026-01-05T13:00:00.000Z' }),
      then: [
        {
          type: 'ScheduleOverrideAdded',
          data: {
            scheduleId: ID,
            override: override({ start: '2026-01-05T11:00:00.000Z', end: '2026-01-05T13:00:00.000Z' }),
            addedBy: 'bob',
          },
        },
      ],
    },
    {
      name: 'may overlap another override (the later one wins)',
      given: [created, overrideAdded()],
      when: addOverride({ id: 'ovr-2', userId: 'frank' }),
      then: [
        {
          type: 'ScheduleOverrideAdded',
          data: { scheduleId: ID, override: override({ id: 'ovr-2', userId: 'frank' }), addedBy: 'bob' },
        },
      ],
    },
    {
      name: 'adding the same override again is a no-op',
      given: [created, overrideAdded()],
      when: addOverride(),
      then: [],
    },
    {
      name: 'refuses another override with the same id',
      given: [created, overrideAdded()],
      when: addOverride({ userId: 'frank' }),
      then: 'OverrideAlreadyExists',
    },
    {
      name: 'refuses an end equal to the start',
      given: [created],
      when: addOverride({ start: '2026-01-05T14:00:00Z', end: '2026-01-05T14:00:00Z' }),
      then: 'EndNotAfterStart',
    },
    {
      name: 'refuses an end before the start',
      given: [created],
      when: addOverride({ start: '2026-01-05T16:00:00Z', end: '2026-01-05T14:00:00Z' }),
      then: 'EndNotAfterStart',
    },
    {
      name: 'refuses an override that is already over',
      given: [created],
      when: addOverride({ start: '2026-01-05T10:00:00Z', end: '2026-01-05T12:00:00Z' }),
      then: 'OverrideInPast',
    },
    {
      name: 'refuses a blank user',
      given: [created],
      when: addOverride({ userId: '' }),
      then: 'InvalidUserId',
    },
    { name: 'refuses a blank id', given: [created], when: addOverride({ id: ' ' }), then: 'InvalidId' },
    {
      name: 'refuses a bad end',
      given: [created],
      when: addOverride({ end: 'tomorrow' }),
      then: 'InvalidTimestamp',
    },
  ],
  RemoveScheduleOverride: [
    {
      name: 'removes an override',
      given: [created, overrideAdded()],
      when: command({ type: 'RemoveScheduleOverride', data: { scheduleId: ID, overrideId: 'ovr-1' } }),
      then: [
        { type: 'ScheduleOverrideRemoved', data: { scheduleId: ID, overrideId: 'ovr-1', removedBy: 'bob' } },
      ],
    },
    {
      name: 'refuses an unknown override',
      given: [created],
      when: command({ type: 'RemoveScheduleOverride', data: { scheduleId: ID, overrideId: 'ovr-1' } }),
      then: 'OverrideNotFound',
    },
  ],
  'before the schedule exists': [
    addLayer(),
    changeLayer(),
    command({ type: 'RemoveScheduleLayer', data: { scheduleId: ID, layerId: 'primary' } }),
    addOverride(),
    command({ type: 'RemoveScheduleOverride', data: { scheduleId: ID, overrideId: 'ovr-1' } }),
  ].map((when) => ({ name: `${when.type} is refused`, given: [], when, then: 'ScheduleNotFound' as const })),
};

describe('decideSchedule', () => {
  for (const [group, list] of Object.entries(cases)) {
    describe(group, () => {
      for (const c of list) it(c.name, () => run(c));
    });
  }
});

describe('scheduleErrorStatus', () => {
  const cases: [ScheduleErrorCode, number][] = [
    ['ScheduleNotFound', 404],
    ['LayerNotFound', 404],
    ['OverrideAlreadyExists', 409],
    ['UnknownTimeZone', 422],
    ['EndNotAfterStart', 422],
  ];
  for (const [code, status] of cases)
    it(`${code} is ${status}`, () => assert.equal(scheduleErrorStatus(code), status));
});
