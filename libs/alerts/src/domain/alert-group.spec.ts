import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideAlert,
  emptyAlertGroup,
  evolveAlertGroup,
  type AlertGroup,
  type ReceiveAlert,
} from './alert-group.js';
import type { NormalisedAlert } from './normalised-alert.js';

const alert = (overrides: Partial<NormalisedAlert> = {}): NormalisedAlert => ({
  source: 'pagerduty',
  action: 'trigger',
  dedupKey: 'db/disk',
  groupKey: 'db/disk',
  fact: 'fact-1',
  severity: 'SEV2',
  summary: 'Disk 99%',
  labels: {},
  annotations: {},
  links: [],
  startsAt: '2026-01-01T10:00:00.000Z',
  ...overrides,
});

const receive = (a: NormalisedAlert, autoResolve = true): ReceiveAlert => ({
  alert: a,
  integrationId: 'int-1',
  service: 'payments',
  receivedAt: '2026-01-01T10:01:00.000Z',
  newIncidentId: () => 'inc-new',
  autoResolve,
  silenceId: null,
});

/** The group after the given alerts were received, each against an open incident once there is one. */
const given = (...alerts: NormalisedAlert[]): AlertGroup =>
  alerts.reduce((group, a) => {
    const situation = group.incidentId ? { incidentId: group.incidentId, open: true } : null;
    return decideAlert(receive(a), group, situation).events.reduce(evolveAlertGroup, group);
  }, emptyAlertGroup);

describe('decideAlert', () => {
  it('a first trigger opens an incident and attaches the alert to it', () => {
    const d = decideAlert(receive(alert()), emptyAlertGroup, null);
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['AlertTriggered'],
    );
    assert.equal(d.events[0]!.type === 'AlertTriggered' && d.events[0]!.data.openedIncident, true);
    assert.deepEqual(
      d.incident.map((c) => [c.type, c.incidentId]),
      [
        ['open', 'inc-new'],
        ['attach', 'inc-new'],
      ],
    );
  });

  it('a resend of the same fact changes nothing', () => {
    const group = given(alert());
    assert.deepEqual(decideAlert(receive(alert()), group, { incidentId: 'inc-new', open: true }), {
      events: [],
      incident: [],
    });
  });

  it('a new trigger of a firing alert is a repeat, with no change to the incident', () => {
    const group = given(alert());
    const d = decideAlert(receive(alert({ fact: 'fact-2' })), group, { incidentId: 'inc-new', open: true });
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['AlertRepeated'],
    );
    assert.deepEqual(d.incident, []);
    assert.equal(evolveAlertGroup(group, d.events[0]!).firing['db/disk']!.repeats, 1);
  });

  it('makes a new incident id only for an alert that opens an incident', () => {
    const group = given(alert());
    const made: string[] = [];
    const counting = (a: NormalisedAlert) => ({
      ...receive(a),
      newIncidentId: () => {
        made.push('id');
        return 'inc-2';
      },
    });
    decideAlert(counting(alert({ fact: 'fact-2' })), group, { incidentId: 'inc-new', open: true });
    assert.deepEqual(made, [], 'a repeat makes none');
    decideAlert(counting(alert()), emptyAlertGroup, null);
    assert.deepEqual(made, ['id'], 'a first trigger makes one');
  });

  it('another alert of the group joins the open incident', () => {
    const group = given(alert());
    const d = decideAlert(receive(alert({ dedupKey: 'db/cpu', fact: 'f' })), group, {
      incidentId: 'inc-new',
      open: true,
    });
    assert.deepEqual(
      d.incident.map((c) => c.type),
      ['attach'],
    );
  });

  it('a trigger after a person resolved the incident opens a new one', () => {
    const group = given(alert());
    const d = decideAlert(receive(alert({ fact: 'fact-2' })), group, { incidentId: 'inc-new', open: false });
    assert.deepEqual(
      d.incident.map((c) => c.type),
      ['open', 'attach'],
    );
  });

  it('the last firing alert resolving resolves the incident, unless auto-resolve is off', () => {
    const group = given(alert(), alert({ dedupKey: 'db/cpu', fact: 'f' }));
    const first = decideAlert(receive(alert({ action: 'resolve', fact: 'r' })), group, {
      incidentId: 'inc-new',
      open: true,
    });
    assert.deepEqual(first.incident, [], 'db/cpu still fires');
    const after = first.events.reduce(evolveAlertGroup, group);
    const last = decideAlert(receive(alert({ dedupKey: 'db/cpu', action: 'resolve', fact: 'r' })), after, {
      incidentId: 'inc-new',
      open: true,
    });
    assert.deepEqual(
      last.incident.map((c) => c.type),
      ['resolve'],
    );
    const manual = decideAlert(
      receive(alert({ dedupKey: 'db/cpu', action: 'resolve', fact: 'r' }), false),
      after,
      {
        incidentId: 'inc-new',
        open: true,
      },
    );
    assert.deepEqual(
      manual.events.map((e) => e.type),
      ['AlertResolved'],
    );
    assert.deepEqual(manual.incident, []);
  });

  it('acknowledge and resolve for an alert that is not firing are dropped', () => {
    for (const action of ['acknowledge', 'resolve'] as const) {
      assert.deepEqual(decideAlert(receive(alert({ action })), emptyAlertGroup, null), {
        events: [],
        incident: [],
      });
    }
  });
});

describe('decideAlert under a silence', () => {
  const silenced = (a: NormalisedAlert): ReceiveAlert => ({ ...receive(a), silenceId: 'sil-1' });

  it('records a new alert as suppressed, opening nothing', () => {
    const d = decideAlert(silenced(alert()), emptyAlertGroup, null);
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['AlertSuppressed'],
    );
    assert.deepEqual(d.incident, []);
    const group = d.events.reduce(evolveAlertGroup, emptyAlertGroup);
    assert.deepEqual(
      decideAlert(silenced(alert()), group, null),
      { events: [], incident: [] },
      'a resend adds nothing',
    );
    const resolved = decideAlert(silenced(alert({ action: 'resolve', fact: 'r' })), group, null);
    assert.deepEqual(
      resolved.events.map((e) => e.type),
      ['AlertResolved'],
    );
    assert.deepEqual(resolved.incident, []);
  });

  it('lets an alert that already fires carry on (repeats still count)', () => {
    const group = given(alert());
    const d = decideAlert(silenced(alert({ fact: 'fact-2' })), group, { incidentId: 'inc-new', open: true });
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['AlertRepeated'],
    );
  });
});

describe('decideAlert for a flapping alert', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();
  const cycle = (group: AlertGroup, n: number, minute: number) => {
    let g = group;
    for (const a of [alert({ fact: `fire-${n}` }), alert({ action: 'resolve', fact: `resolve-${n}` })]) {
      const situation = g.incidentId ? { incidentId: g.incidentId, open: a.action === 'resolve' } : null;
      g = decideAlert({ ...receive(a), receivedAt: at(minute) }, g, situation).events.reduce(
        evolveAlertGroup,
        g,
      );
    }
    return g;
  };

  it('the sixth fire within 30 minutes is held back, and one after a quiet half hour opens an incident again', () => {
    let group = emptyAlertGroup;
    for (let n = 0; n < 5; n++) group = cycle(group, n, n * 2);
    const sixth = decideAlert({ ...receive(alert({ fact: 'fire-5' })), receivedAt: at(11) }, group, {
      incidentId: 'inc-new',
      open: false,
    });
    assert.deepEqual(
      sixth.events.map((e) => e.type),
      ['AlertFlapping'],
    );
    assert.deepEqual(sixth.incident, []);
    group = sixth.events.reduce(evolveAlertGroup, group);
    const resend = decideAlert({ ...receive(alert({ fact: 'fire-5' })), receivedAt: at(12) }, group, null);
    assert.deepEqual(resend, { events: [], incident: [] });

    const calm = decideAlert({ ...receive(alert({ fact: 'fire-6' })), receivedAt: at(45) }, group, {
      incidentId: 'inc-new',
      open: false,
    });
    assert.deepEqual(
      calm.events.map((e) => e.type),
      ['AlertTriggered'],
    );
    assert.deepEqual(
      calm.incident.map((c) => c.type),
      ['open', 'attach'],
    );
  });
});

describe('alert keys that name Object.prototype members', () => {
  for (const dedupKey of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    it(`treats "${dedupKey}" as any other key`, () => {
      const first = decideAlert(receive(alert({ dedupKey })), emptyAlertGroup, null);
      assert.deepEqual(
        first.events.map((e) => e.type),
        ['AlertTriggered'],
      );
      const group = first.events.reduce(evolveAlertGroup, emptyAlertGroup);
      const stored = JSON.parse(JSON.stringify(group)) as AlertGroup;
      const repeat = decideAlert(receive(alert({ dedupKey, fact: 'fact-2' })), stored, {
        incidentId: 'inc-new',
        open: true,
      });
      assert.deepEqual(
        repeat.events.map((e) => e.type),
        ['AlertRepeated'],
      );
      const resolved = decideAlert(receive(alert({ dedupKey, action: 'resolve', fact: 'r' })), stored, {
        incidentId: 'inc-new',
        open: true,
      });
      assert.deepEqual(
        resolved.incident.map((c) => c.type),
        ['resolve'],
      );
    });
  }
});

describe('the fire times a group keeps', () => {
  it('forgets alerts that last fired longer ago than any flapping window looks back', () => {
    const at = (minutes: number) =>
      new Date(Date.parse('2026-01-01T00:00:00.000Z') + minutes * 60_000).toISOString();
    // Alertmanager-style keys: a new key for every firing episode.
    let group = emptyAlertGroup;
    for (let episode = 0; episode < 100; episode++) {
      const a = alert({ dedupKey: `disk@${episode}`, fact: `f${episode}` });
      const decision = decideAlert({ ...receive(a), receivedAt: at(episode * 60) }, group, null);
      group = decision.events.reduce(evolveAlertGroup, group);
      const resolved = decideAlert(
        { ...receive({ ...a, action: 'resolve', fact: `r${episode}` }), receivedAt: at(episode * 60 + 1) },
        group,
        null,
      );
      group = resolved.events.reduce(evolveAlertGroup, group);
    }
    // One episode an hour for 100 hours: only the last day's can still decide anything.
    assert.equal(Object.keys(group.fires).length, 24);
    assert.deepEqual(Object.keys(group.firing), []);
  });
});
