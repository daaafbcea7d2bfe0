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
  newIncidentId: 'inc-new',
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
