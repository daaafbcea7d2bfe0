import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { shifts, whoIsOnCall } from './on-call.js';
import type { Shift } from './on-call.js';
import type { Restriction, Schedule } from './schedule.js';
import { deepFreeze, hours, iso, layer, override, random, schedule } from './spec-fixtures.js';
import { formatWallTime, toWallTime } from './zone.js';

/** What whoIsOnCall should say at `at`: the user, and (when given) the turn and the rendered shift. */
type Expectation = { at: string; user: string | null; turn?: number; shift?: [string, string]; why?: string };

const check = (s: Schedule, e: Expectation): void => {
  const answer = whoIsOnCall(deepFreeze(s), new Date(e.at));
  const where = `at ${e.at}`;
  assert.equal(answer.userId, e.user, where);
  if (e.user === null) {
    assert.deepEqual(answer.reason, { kind: 'nobody' }, where);
    assert.equal(answer.shift, null, where);
  }
  if (e.shift) assert.deepEqual(answer.shift, { start: iso(e.shift[0]), end: iso(e.shift[1]) }, where);
  if (e.turn !== undefined) {
    assert.equal(answer.reason.kind, 'layer', where);
    if (answer.reason.kind === 'layer') assert.equal(answer.reason.turn.index, e.turn, where);
  }
  if (e.why !== undefined) {
    const why =
      answer.reason.kind === 'layer'
        ? answer.reason.layerId
        : answer.reason.kind === 'override'
          ? answer.reason.overrideId
          : 'nobody';
    assert.equal(why, e.why, where);
  }
};

const table = (title: string, s: Schedule, expectations: Expectation[]): void => {
  describe(title, () => {
    for (const e of expectations) {
      it(`at ${e.at}: ${e.user ?? 'nobody'}`, () => check(s, e));
    }
  });
};

/** Shifts as [user, start, end] rows, easier to compare and read than objects. */
const rows = (list: Shift[]): [string, string, string][] => list.map((s) => [s.userId, s.start, s.end]);

describe('rotation turns', () => {
  // Layers start on Monday 5 January 2026 at 09:00 UTC unless told; users alice, bob, carol.
  table('daily, handing off at 09:00', schedule(), [
    { at: '2026-01-05T08:59:59.999Z', user: null },
    { at: '2026-01-05T09:00:00Z', user: 'alice', turn: 0, shift: ['2026-01-05T09:00Z', '2026-01-06T09:00Z'] },
    { at: '2026-01-06T08:59:59.999Z', user: 'alice', turn: 0 },
    { at: '2026-01-06T09:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-06T09:00Z', '2026-01-07T09:00Z'] },
    { at: '2026-01-07T12:00:00Z', user: 'carol', turn: 2 },
    { at: '2026-01-08T09:00:00Z', user: 'alice', turn: 3 },
    { at: '2026-04-15T09:00:00Z', user: 'bob', turn: 100, shift: ['2026-04-15T09:00Z', '2026-04-16T09:00Z'] },
  ]);

  table('weekly', schedule({ layers: [layer({ rotation: { kind: 'weekly' } })] }), [
    { at: '2026-01-11T23:00:00Z', user: 'alice', turn: 0, shift: ['2026-01-05T09:00Z', '2026-01-12T09:00Z'] },
    { at: '2026-01-12T08:59:59.999Z', user: 'alice', turn: 0 },
    { at: '2026-01-12T09:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-12T09:00Z', '2026-01-19T09:00Z'] },
    { at: '2026-01-26T09:00:00Z', user: 'alice', turn: 3 },
  ]);

  table(
    'every 12 hours from 09:00',
    schedule({ layers: [layer({ rotation: { kind: 'custom', every: 12, unit: 'hours' } })] }),
    [
      {
        at: '2026-01-05T20:59:59.999Z',
        user: 'alice',
        turn: 0,
        shift: ['2026-01-05T09:00Z', '2026-01-05T21:00Z'],
      },
      { at: '2026-01-05T21:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-05T21:00Z', '2026-01-06T09:00Z'] },
      { at: '2026-01-06T09:00:00Z', user: 'carol', turn: 2 },
    ],
  );

  table(
    'every 3 days',
    schedule({ layers: [layer({ rotation: { kind: 'custom', every: 3, unit: 'days' } })] }),
    [
      {
        at: '2026-01-08T08:59:59.999Z',
        user: 'alice',
        turn: 0,
        shift: ['2026-01-05T09:00Z', '2026-01-08T09:00Z'],
      },
      { at: '2026-01-08T09:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-08T09:00Z', '2026-01-11T09:00Z'] },
    ],
  );

  table(
    'every 8 hours with a 09:00 handoff, starting at 02:00: handoffs at 01:00, 09:00 and 17:00',
    schedule({
      layers: [
        layer({ start: '2026-01-05T02:00:00Z', rotation: { kind: 'custom', every: 8, unit: 'hours' } }),
      ],
    }),
    [
      {
        at: '2026-01-05T02:00:00Z',
        user: 'alice',
        turn: 0,
        shift: ['2026-01-05T02:00Z', '2026-01-05T09:00Z'],
      },
      { at: '2026-01-05T09:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-05T09:00Z', '2026-01-05T17:00Z'] },
      {
        at: '2026-01-05T17:00:00Z',
        user: 'carol',
        turn: 2,
        shift: ['2026-01-05T17:00Z', '2026-01-06T01:00Z'],
      },
      { at: '2026-01-06T01:00:00Z', user: 'alice', turn: 3 },
    ],
  );

  table(
    'starting after the day’s handoff: the first turn runs to the next one',
    schedule({ layers: [layer({ start: '2026-01-05T12:00:00Z' })] }),
    [
      {
        at: '2026-01-05T12:00:00Z',
        user: 'alice',
        turn: 0,
        shift: ['2026-01-05T12:00Z', '2026-01-06T09:00Z'],
      },
      { at: '2026-01-06T09:00:00Z', user: 'bob', turn: 1 },
    ],
  );

  table(
    'starting before the day’s handoff: the first turn ends at it',
    schedule({ layers: [layer({ start: '2026-01-05T08:00:00Z' })] }),
    [
      {
        at: '2026-01-05T08:00:00Z',
        user: 'alice',
        turn: 0,
        shift: ['2026-01-05T08:00Z', '2026-01-05T09:00Z'],
      },
      { at: '2026-01-05T09:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-05T09:00Z', '2026-01-06T09:00Z'] },
    ],
  );

  table('one user: each turn is still its own shift', schedule({ layers: [layer({ users: ['alice'] })] }), [
    { at: '2026-01-06T10:00:00Z', user: 'alice', turn: 1, shift: ['2026-01-06T09:00Z', '2026-01-07T09:00Z'] },
  ]);

  table(
    'a user listed twice takes two turns',
    schedule({ layers: [layer({ users: ['alice', 'bob', 'alice'] })] }),
    [
      { at: '2026-01-07T09:00:00Z', user: 'alice', turn: 2 },
      { at: '2026-01-08T09:00:00Z', user: 'alice', turn: 3 },
    ],
  );

  it('reports which user of the list holds the turn', () => {
    const answer = whoIsOnCall(schedule(), new Date('2026-01-09T09:00:00Z'));
    assert.equal(answer.reason.kind === 'layer' && answer.reason.turn.userIndex, 1);
    assert.equal(answer.userId, 'bob');
  });
});

describe('boundaries are half-open, [start, end)', () => {
  it('shifts tile the range: each ends where the next begins, and cover exactly [from, to)', () => {
    const list = shifts(schedule(), new Date('2026-01-05T12:00:00Z'), new Date('2026-01-08T12:00:00Z'));
    assert.deepEqual(rows(list), [
      ['alice', iso('2026-01-05T12:00Z'), iso('2026-01-06T09:00Z')],
      ['bob', iso('2026-01-06T09:00Z'), iso('2026-01-07T09:00Z')],
      ['carol', iso('2026-01-07T09:00Z'), iso('2026-01-08T09:00Z')],
      ['alice', iso('2026-01-08T09:00Z'), iso('2026-01-08T12:00Z')],
    ]);
  });

  it('the instant of a handoff belongs to the incoming user, the millisecond before to the outgoing one', () => {
    const s = schedule();
    assert.equal(whoIsOnCall(s, new Date('2026-01-06T08:59:59.999Z')).userId, 'alice');
    assert.equal(whoIsOnCall(s, new Date('2026-01-06T09:00:00.000Z')).userId, 'bob');
  });

  it('an empty or reversed range has no shifts', () => {
    const at = new Date('2026-01-06T09:00:00Z');
    assert.deepEqual(shifts(schedule(), at, at), []);
    assert.deepEqual(shifts(schedule(), at, new Date('2026-01-06T08:00:00Z')), []);
  });

  it('refuses an invalid Date', () => {
    assert.throws(() => whoIsOnCall(schedule(), new Date('nonsense')), RangeError);
    assert.throws(() => shifts(schedule(), new Date('nonsense'), new Date()), RangeError);
  });
});

describe('layers: the highest layer with someone on call wins', () => {
  const lunch = layer({
    id: 'lunch',
    name: 'Lunch cover',
    users: ['dana'],
    restrictions: [{ kind: 'daily', start: '12:00', end: '13:00' }],
  });
  const s = schedule({ layers: [layer(), lunch] });

  table('a lunch-cover layer above the primary', s, [
    {
      at: '2026-01-05T11:59:59.999Z',
      user: 'alice',
      why: 'primary',
      shift: ['2026-01-05T09:00Z', '2026-01-05T12:00Z'],
    },
    {
      at: '2026-01-05T12:00:00Z',
      user: 'dana',
      why: 'lunch',
      shift: ['2026-01-05T12:00Z', '2026-01-05T13:00Z'],
    },
    {
      at: '2026-01-05T13:00:00Z',
      user: 'alice',
      why: 'primary',
      shift: ['2026-01-05T13:00Z', '2026-01-06T09:00Z'],
    },
    { at: '2026-01-06T12:30:00Z', user: 'dana', why: 'lunch' },
  ]);

  it('renders the primary turn around the lunch layer', () => {
    const list = shifts(s, new Date('2026-01-05T09:00:00Z'), new Date('2026-01-06T09:00:00Z'));
    assert.deepEqual(rows(list), [
      ['alice', iso('2026-01-05T09:00Z'), iso('2026-01-05T12:00Z')],
      ['dana', iso('2026-01-05T12:00Z'), iso('2026-01-05T13:00Z')],
      ['alice', iso('2026-01-05T13:00Z'), iso('2026-01-06T09:00Z')],
    ]);
    assert.deepEqual(
      list.map(
        (x) => x.source.kind === 'layer' && [x.source.layerId, x.source.layerIndex, x.source.turn.index],
      ),
      [
        ['primary', 0, 0],
        ['lunch', 1, 0],
        ['primary', 0, 0],
      ],
    );
  });

  it('explains every layer, highest first', () => {
    const answer = whoIsOnCall(s, new Date('2026-01-05T11:00:00Z'));
    assert.deepEqual(
      answer.layers.map((v) => [v.layerId, v.status, 'userId' in v ? v.userId : null]),
      [
        ['lunch', 'restricted', 'dana'],
        ['primary', 'on-call', 'alice'],
      ],
    );
  });

  it('the order of layers decides, not the order of users or ids', () => {
    const flipped = schedule({ layers: [lunch, layer()] });
    assert.equal(whoIsOnCall(flipped, new Date('2026-01-05T12:30:00Z')).userId, 'alice');
  });

  const later = layer({ id: 'new', name: 'New rota', users: ['frank'], start: '2026-01-07T09:00:00Z' });
  table(
    'a higher layer that has not started yet leaves the lower one in charge',
    schedule({ layers: [layer(), later] }),
    [
      { at: '2026-01-06T10:00:00Z', user: 'bob', why: 'primary' },
      {
        at: '2026-01-07T08:59:59.999Z',
        user: 'bob',
        why: 'primary',
        shift: ['2026-01-06T09:00Z', '2026-01-07T09:00Z'],
      },
      { at: '2026-01-07T09:00:00Z', user: 'frank', why: 'new', turn: 0 },
    ],
  );

  it('says when a layer has not started', () => {
    const answer = whoIsOnCall(schedule({ layers: [layer(), later] }), new Date('2026-01-06T10:00:00Z'));
    assert.deepEqual(answer.layers[0], {
      layerId: 'new',
      layerName: 'New rota',
      layerIndex: 1,
      status: 'not-started',
      startsAt: '2026-01-07T09:00:00Z',
    });
  });
});

describe('restrictions', () => {
  const businessHours: Restriction[] = [
    { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
  ];
  const office = schedule({
    timeZone: 'Europe/London',
    layers: [layer({ rotation: { kind: 'weekly' }, users: ['alice', 'bob'], restrictions: businessHours })],
  });

  table('business hours, Monday to Friday 09:00–17:00 London, on a single layer', office, [
    { at: '2026-01-05T10:00:00Z', user: 'alice', turn: 0, shift: ['2026-01-05T09:00Z', '2026-01-05T17:00Z'] },
    { at: '2026-01-05T16:59:59.999Z', user: 'alice' },
    { at: '2026-01-05T17:00:00Z', user: null },
    { at: '2026-01-06T08:59:59.999Z', user: null },
    { at: '2026-01-09T12:00:00Z', user: 'alice' },
    { at: '2026-01-10T12:00:00Z', user: null }, // Saturday
    { at: '2026-01-11T12:00:00Z', user: null }, // Sunday
    { at: '2026-01-12T09:00:00Z', user: 'bob', turn: 1, shift: ['2026-01-12T09:00Z', '2026-01-12T17:00Z'] },
    // Summer time: the window stays 09:00–17:00 on London clocks, 08:00–16:00 UTC.
    { at: '2026-03-30T07:59:59.999Z', user: null },
    {
      at: '2026-03-30T08:00:00Z',
      user: 'alice',
      turn: 12,
      shift: ['2026-03-30T08:00Z', '2026-03-30T16:00Z'],
    },
    { at: '2026-03-30T16:00:00Z', user: null },
  ]);

  it('renders a working week as five 8-hour shifts', () => {
    const list = shifts(office, new Date('2026-01-05T00:00:00Z'), new Date('2026-01-12T00:00:00Z'));
    assert.deepEqual(rows(list), [
      ['alice', iso('2026-01-05T09:00Z'), iso('2026-01-05T17:00Z')],
      ['alice', iso('2026-01-06T09:00Z'), iso('2026-01-06T17:00Z')],
      ['alice', iso('2026-01-07T09:00Z'), iso('2026-01-07T17:00Z')],
      ['alice', iso('2026-01-08T09:00Z'), iso('2026-01-08T17:00Z')],
      ['alice', iso('2026-01-09T09:00Z'), iso('2026-01-09T17:00Z')],
    ]);
  });

  it('outside the window, says whose turn it is and that the layer is restricted', () => {
    const answer = whoIsOnCall(office, new Date('2026-01-10T12:00:00Z'));
    assert.equal(answer.layers[0]?.status, 'restricted');
    assert.equal(answer.layers[0]?.status === 'restricted' && answer.layers[0].userId, 'alice');
  });

  const nights = schedule({
    layers: [layer({ restrictions: [{ kind: 'daily', start: '22:00', end: '06:00' }] })],
  });
  table('a nightly window runs past midnight', nights, [
    { at: '2026-01-05T21:59:59.999Z', user: null },
    { at: '2026-01-05T23:00:00Z', user: 'alice', shift: ['2026-01-05T22:00Z', '2026-01-06T06:00Z'] },
    { at: '2026-01-06T05:59:59.999Z', user: 'alice' },
    { at: '2026-01-06T06:00:00Z', user: null },
    { at: '2026-01-06T22:00:00Z', user: 'bob' },
  ]);

  it('a handoff inside a window splits it between the two turns', () => {
    const s = schedule({
      layers: [
        layer({
          start: '2026-01-05T00:00:00Z',
          handoffTime: '00:00',
          restrictions: [{ kind: 'daily', start: '22:00', end: '06:00' }],
        }),
      ],
    });
    const list = shifts(s, new Date('2026-01-05T12:00:00Z'), new Date('2026-01-06T12:00:00Z'));
    assert.deepEqual(rows(list), [
      ['alice', iso('2026-01-05T22:00Z'), iso('2026-01-06T00:00Z')],
      ['bob', iso('2026-01-06T00:00Z'), iso('2026-01-06T06:00Z')],
    ]);
  });

  table(
    'a weekly window that starts on Friday evening covers only Friday night',
    schedule({
      layers: [layer({ restrictions: [{ kind: 'weekly', days: ['fri'], start: '18:00', end: '09:00' }] })],
    }),
    [
      { at: '2026-01-09T17:59:59.999Z', user: null },
      { at: '2026-01-09T18:00:00Z', user: 'bob', shift: ['2026-01-09T18:00Z', '2026-01-10T09:00Z'] },
      { at: '2026-01-10T09:00:00Z', user: null },
      { at: '2026-01-10T20:00:00Z', user: null }, // Saturday night is not Friday night
    ],
  );

  table(
    'a window may end at 24:00; adjoining windows merge',
    schedule({
      layers: [
        layer({
          restrictions: [
            { kind: 'daily', start: '18:00', end: '24:00' },
            { kind: 'daily', start: '00:00', end: '02:00' },
          ],
        }),
      ],
    }),
    [
      { at: '2026-01-05T23:59:59.999Z', user: 'alice', shift: ['2026-01-05T18:00Z', '2026-01-06T02:00Z'] },
      { at: '2026-01-06T02:00:00Z', user: null },
    ],
  );
});

describe('overrides win over every layer', () => {
  const s = schedule({ overrides: [override()] });
  table('erin covers 14:00–16:00 on Monday', s, [
    { at: '2026-01-05T13:59:59.999Z', user: 'alice', shift: ['2026-01-05T09:00Z', '2026-01-05T14:00Z'] },
    {
      at: '2026-01-05T14:00:00Z',
      user: 'erin',
      why: 'ovr-1',
      shift: ['2026-01-05T14:00Z', '2026-01-05T16:00Z'],
    },
    {
      at: '2026-01-05T16:00:00Z',
      user: 'alice',
      why: 'primary',
      shift: ['2026-01-05T16:00Z', '2026-01-06T09:00Z'],
    },
  ]);

  const both = schedule({
    overrides: [
      override(),
      override({ id: 'ovr-2', userId: 'frank', start: '2026-01-05T15:00:00Z', end: '2026-01-05T17:00:00Z' }),
    ],
  });
  table('of two overlapping overrides, the later added wins', both, [
    {
      at: '2026-01-05T14:30:00Z',
      user: 'erin',
      why: 'ovr-1',
      shift: ['2026-01-05T14:00Z', '2026-01-05T15:00Z'],
    },
    {
      at: '2026-01-05T15:30:00Z',
      user: 'frank',
      why: 'ovr-2',
      shift: ['2026-01-05T15:00Z', '2026-01-05T17:00Z'],
    },
    { at: '2026-01-05T17:00:00Z', user: 'alice', why: 'primary' },
  ]);

  it('lists the overrides in force, the winner first', () => {
    const answer = whoIsOnCall(both, new Date('2026-01-05T15:30:00Z'));
    assert.deepEqual(
      answer.overrides.map((o) => o.id),
      ['ovr-2', 'ovr-1'],
    );
    assert.deepEqual(answer.reason, {
      kind: 'override',
      overrideId: 'ovr-2',
      start: '2026-01-05T15:00:00Z',
      end: '2026-01-05T17:00:00Z',
    });
  });

  it('renders the override into the layer’s turn', () => {
    const list = shifts(both, new Date('2026-01-05T09:00:00Z'), new Date('2026-01-06T09:00:00Z'));
    assert.deepEqual(rows(list), [
      ['alice', iso('2026-01-05T09:00Z'), iso('2026-01-05T14:00Z')],
      ['erin', iso('2026-01-05T14:00Z'), iso('2026-01-05T15:00Z')],
      ['frank', iso('2026-01-05T15:00Z'), iso('2026-01-05T17:00Z')],
      ['alice', iso('2026-01-05T17:00Z'), iso('2026-01-06T09:00Z')],
    ]);
  });

  table(
    'an override covers time no layer does',
    schedule({
      layers: [layer({ restrictions: [{ kind: 'daily', start: '09:00', end: '17:00' }] })],
      overrides: [override({ start: '2026-01-10T20:00:00Z', end: '2026-01-11T08:00:00Z' })],
    }),
    [
      { at: '2026-01-10T19:59:59.999Z', user: null },
      { at: '2026-01-10T20:00:00Z', user: 'erin', why: 'ovr-1' },
      { at: '2026-01-11T08:00:00Z', user: null },
    ],
  );

  table('with no layers at all, only overrides answer', schedule({ layers: [], overrides: [override()] }), [
    { at: '2026-01-05T15:00:00Z', user: 'erin' },
    { at: '2026-01-05T17:00:00Z', user: null },
  ]);
});

describe('DST: handoffs stay on local wall-clock time', () => {
  const london = schedule({
    timeZone: 'Europe/London',
    layers: [layer({ start: '2026-03-23T09:00:00Z', users: ['alice', 'bob', 'carol', 'dave'] })],
  });

  table('Europe/London, daily at 09:00, spring forward (29 March 2026)', london, [
    { at: '2026-03-28T12:00:00Z', user: 'bob', turn: 5, shift: ['2026-03-28T09:00Z', '2026-03-29T08:00Z'] },
    { at: '2026-03-29T07:59:59.999Z', user: 'bob', turn: 5 },
    { at: '2026-03-29T08:00:00Z', user: 'carol', turn: 6, shift: ['2026-03-29T08:00Z', '2026-03-30T08:00Z'] },
  ]);

  it('Europe/London: the spring shift is 23 hours and the autumn one 25, every handoff at 09:00 local', () => {
    const list = shifts(london, new Date('2026-03-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'));
    assert.equal(list.length, 253); // 23 March to 30 November
    for (const shift of list.slice(1)) {
      assert.equal(
        formatWallTime(toWallTime(Date.parse(shift.start), 'Europe/London')).slice(11),
        '09:00:00',
      );
    }
    const lengths = new Map<number, string[]>();
    for (const shift of list.slice(1, -1))
      lengths.set(hours(shift), [...(lengths.get(hours(shift)) ?? []), shift.start]);
    assert.deepEqual(
      [...lengths.entries()].sort(([a], [b]) => a - b),
      [
        [23, [iso('2026-03-28T09:00Z')]],
        [24, lengths.get(24)],
        [25, [iso('2026-10-24T08:00Z')]],
      ],
    );
  });

  table(
    'America/New_York, daily at 02:30: on the spring-forward day 02:30 does not exist, the handoff is at 03:00 EDT',
    schedule({
      timeZone: 'America/New_York',
      layers: [layer({ start: '2026-03-02T07:30:00Z', handoffTime: '02:30' })],
    }),
    [
      {
        at: '2026-03-07T12:00:00Z',
        user: 'carol',
        turn: 5,
        shift: ['2026-03-07T07:30Z', '2026-03-08T07:00Z'],
      },
      { at: '2026-03-08T06:59:59.999Z', user: 'carol', turn: 5 },
      {
        at: '2026-03-08T07:00:00Z',
        user: 'alice',
        turn: 6,
        shift: ['2026-03-08T07:00Z', '2026-03-09T06:30Z'],
      },
      { at: '2026-03-09T06:30:00Z', user: 'bob', turn: 7, shift: ['2026-03-09T06:30Z', '2026-03-10T06:30Z'] },
    ],
  );

  table(
    'America/New_York, daily at 01:30: on the fall-back day the handoff is at the first 01:30 (EDT), and only then',
    schedule({
      timeZone: 'America/New_York',
      layers: [layer({ start: '2026-10-26T05:30:00Z', handoffTime: '01:30' })],
    }),
    [
      {
        at: '2026-11-01T05:29:59.999Z',
        user: 'carol',
        turn: 5,
        shift: ['2026-10-31T05:30Z', '2026-11-01T05:30Z'],
      },
      {
        at: '2026-11-01T05:30:00Z',
        user: 'alice',
        turn: 6,
        shift: ['2026-11-01T05:30Z', '2026-11-02T06:30Z'],
      },
      { at: '2026-11-01T06:30:00Z', user: 'alice', turn: 6 }, // 01:30 EST, the second time round: no handoff
      { at: '2026-11-01T06:45:00Z', user: 'alice', turn: 6 },
      { at: '2026-11-02T06:30:00Z', user: 'bob', turn: 7 },
    ],
  );

  table(
    'America/New_York, 12-hour turns at 09:00 and 21:00 local: the night of the change is 11 hours',
    schedule({
      timeZone: 'America/New_York',
      layers: [
        layer({ start: '2026-03-02T14:00:00Z', rotation: { kind: 'custom', every: 12, unit: 'hours' } }),
      ],
    }),
    [
      { at: '2026-03-08T05:00:00Z', user: 'carol', shift: ['2026-03-08T02:00Z', '2026-03-08T13:00Z'] },
      { at: '2026-03-08T13:00:00Z', user: 'alice', shift: ['2026-03-08T13:00Z', '2026-03-09T01:00Z'] },
    ],
  );

  it('America/New_York, hourly turns: the skipped hour is a turn that never happens', () => {
    const s = schedule({
      timeZone: 'America/New_York',
      layers: [
        layer({
          start: '2026-03-08T05:00:00Z',
          handoffTime: '00:00',
          rotation: { kind: 'custom', every: 1, unit: 'hours' },
        }),
      ],
    });
    const list = shifts(s, new Date('2026-03-08T05:00:00Z'), new Date('2026-03-08T09:00:00Z'));
    assert.deepEqual(
      list.map((x) => [x.userId, x.start, x.source.kind === 'layer' && x.source.turn.index]),
      [
        ['alice', iso('2026-03-08T05:00Z'), 0], // 00:00 EST
        ['bob', iso('2026-03-08T06:00Z'), 1], // 01:00 EST, until the clocks read 03:00 EDT
        ['alice', iso('2026-03-08T07:00Z'), 3], // 03:00 EDT; carol's 02:00 turn did not exist
        ['bob', iso('2026-03-08T08:00Z'), 4],
      ],
    );
  });

  it('America/New_York, hourly turns: the repeated hour belongs to one turn of two hours', () => {
    const s = schedule({
      timeZone: 'America/New_York',
      layers: [
        layer({
          start: '2026-11-01T04:00:00Z',
          handoffTime: '00:00',
          rotation: { kind: 'custom', every: 1, unit: 'hours' },
        }),
      ],
    });
    const list = shifts(s, new Date('2026-11-01T04:00:00Z'), new Date('2026-11-01T08:00:00Z'));
    assert.deepEqual(rows(list), [
      ['alice', iso('2026-11-01T04:00Z'), iso('2026-11-01T05:00Z')],
      ['bob', iso('2026-11-01T05:00Z'), iso('2026-11-01T07:00Z')],
      ['carol', iso('2026-11-01T07:00Z'), iso('2026-11-01T08:00Z')],
    ]);
  });

  const lordHowe = schedule({
    timeZone: 'Australia/Lord_Howe',
    layers: [layer({ start: '2026-03-30T22:00:00Z' })], // Tuesday 31 March, 09:00 +11:00
  });
  table('Australia/Lord_Howe (half-hour DST), daily at 09:00', lordHowe, [
    // 5 April 2026: 02:00 +11:00 becomes 01:30 +10:30, so the shift is 24.5 hours.
    { at: '2026-04-04T12:00:00Z', user: 'bob', turn: 4, shift: ['2026-04-03T22:00Z', '2026-04-04T22:30Z'] },
    { at: '2026-04-04T22:30:00Z', user: 'carol', turn: 5, shift: ['2026-04-04T22:30Z', '2026-04-05T22:30Z'] },
    // 4 October 2026: 02:00 +10:30 becomes 02:30 +11:00, so the shift is 23.5 hours.
    {
      at: '2026-10-03T12:00:00Z',
      user: 'alice',
      turn: 186,
      shift: ['2026-10-02T22:30Z', '2026-10-03T22:00Z'],
    },
  ]);

  table(
    'Australia/Lord_Howe, daily at 02:15: on 4 October 02:15 does not exist, the handoff is at 02:30 +11:00',
    schedule({
      timeZone: 'Australia/Lord_Howe',
      layers: [layer({ start: '2026-09-27T15:45:00Z', handoffTime: '02:15' })],
    }),
    [
      {
        at: '2026-10-03T15:29:59.999Z',
        user: 'carol',
        turn: 5,
        shift: ['2026-10-02T15:45Z', '2026-10-03T15:30Z'],
      },
      {
        at: '2026-10-03T15:30:00Z',
        user: 'alice',
        turn: 6,
        shift: ['2026-10-03T15:30Z', '2026-10-04T15:15Z'],
      },
    ],
  );

  table(
    'Asia/Kolkata (+05:30, no DST), daily at 09:00',
    schedule({ timeZone: 'Asia/Kolkata', layers: [layer({ start: '2026-01-05T03:30:00Z' })] }),
    [
      { at: '2026-01-06T03:29:59.999Z', user: 'alice', turn: 0 },
      { at: '2026-01-06T03:30:00Z', user: 'bob', turn: 1, shift: ['2026-01-06T03:30Z', '2026-01-07T03:30Z'] },
    ],
  );
});

describe('whoIsOnCall agrees with shifts', () => {
  // Three layers and two overrides in New York, over both DST changes.
  const s = schedule({
    timeZone: 'America/New_York',
    layers: [
      layer({
        id: 'base',
        start: '2026-02-02T07:30:00Z',
        handoffTime: '02:30',
        users: ['alice', 'bob', 'carol'],
      }),
      layer({
        id: 'day',
        start: '2026-02-02T14:00:00Z',
        rotation: { kind: 'custom', every: 8, unit: 'hours' },
        users: ['dana', 'erin'],
        restrictions: [
          { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
        ],
      }),
      layer({
        id: 'weekend-nights',
        start: '2026-02-06T23:00:00Z',
        rotation: { kind: 'weekly' },
        handoffTime: '18:00',
        users: ['frank', 'grace'],
        restrictions: [{ kind: 'weekly', days: ['fri', 'sat'], start: '22:00', end: '06:00' }],
      }),
    ],
    overrides: [
      override({ id: 'o1', userId: 'heidi', start: '2026-03-07T20:00:00Z', end: '2026-03-09T20:00:00Z' }),
      override({ id: 'o2', userId: 'ivan', start: '2026-10-31T12:00:00Z', end: '2026-11-01T12:00:00Z' }),
    ],
  });
  const from = Date.parse('2026-02-01T00:00:00Z');
  const to = Date.parse('2026-11-30T00:00:00Z');
  const list = shifts(s, new Date(from), new Date(to));

  it('renders ordered, non-empty, non-overlapping shifts', () => {
    assert.ok(list.length > 500, `${list.length} shifts`);
    for (const [i, shift] of list.entries()) {
      assert.ok(shift.start < shift.end, `shift ${i} is not empty`);
      const next = list[i + 1];
      if (next) assert.ok(shift.end <= next.start, `shift ${i} ends before the next begins`);
    }
    assert.deepEqual([...new Set(list.map((x) => x.userId))].sort(), [
      'alice',
      'bob',
      'carol',
      'dana',
      'erin',
      'frank',
      'grace',
      'heidi',
      'ivan',
    ]);
  });

  it('at 600 random instants, names the user and the shift that shifts() lists', () => {
    const next = random(42);
    for (let i = 0; i < 600; i++) {
      const at = from + Math.floor(next() * (to - from));
      const answer = whoIsOnCall(s, new Date(at));
      const shift = list.find((x) => Date.parse(x.start) <= at && at < Date.parse(x.end));
      const where = new Date(at).toISOString();
      assert.equal(answer.userId, shift?.userId ?? null, where);
      if (shift && shift !== list[0] && shift !== list.at(-1)) {
        assert.deepEqual(answer.shift, { start: shift.start, end: shift.end }, where);
        assert.deepEqual(answer.reason, shift.source, where);
      }
    }
  });
});

describe('an override of thousands of years', () => {
  // Layers never win inside an override, so they are not rendered across it: rendered, twelve daily
  // layers over 8,000 years were millions of shifts, and the server ran out of memory.
  const layers = Array.from({ length: 12 }, (_, i) => layer({ id: `layer-${i}` }));
  const s = schedule({
    layers,
    overrides: [override({ id: 'ovr-long', start: '1970-01-01T00:00:00Z', end: '9999-12-31T00:00:00Z' })],
  });
  table('is the shift of its stretch', s, [
    {
      at: '2026-01-05T12:00:00Z',
      user: override().userId,
      why: 'ovr-long',
      shift: ['1970-01-01T00:00:00Z', '9999-12-31T00:00:00Z'],
    },
  ]);
});
