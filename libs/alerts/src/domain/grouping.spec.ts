import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAlert, emptyAlertGroup, evolveAlertGroup, type ReceiveAlert } from './alert-group.js';
import { groupKeyOf, groupingRuleErrors, withinWindow, type GroupingRule } from './grouping.js';
import type { NormalisedAlert } from './normalised-alert.js';

const alert = (
  labels: Record<string, string>,
  overrides: Partial<NormalisedAlert> = {},
): NormalisedAlert => ({
  source: 'alertmanager',
  action: 'trigger',
  dedupKey: JSON.stringify(labels),
  groupKey: 'source-group',
  fact: 'f1',
  severity: 'SEV2',
  summary: 'High latency',
  labels,
  annotations: {},
  links: [],
  startsAt: '2026-01-01T10:00:00.000Z',
  ...overrides,
});

const byCluster: GroupingRule = { groupBy: ['cluster', 'alertname'], windowMinutes: null };

describe('groupKeyOf', () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>, GroupingRule | null, boolean]> =
    [
      ['no rule: the source group decides', { a: '1' }, { a: '2' }, null, true],
      [
        'same values of the group_by labels',
        { cluster: 'eu', alertname: 'Latency', pod: 'a' },
        { cluster: 'eu', alertname: 'Latency', pod: 'b' },
        byCluster,
        true,
      ],
      [
        'a different value splits',
        { cluster: 'eu', alertname: 'Latency' },
        { cluster: 'us', alertname: 'Latency' },
        byCluster,
        false,
      ],
      [
        'a missing label counts as empty',
        { alertname: 'Latency' },
        { alertname: 'Latency', cluster: '' },
        byCluster,
        true,
      ],
      [
        'label order in the rule does not matter',
        { cluster: 'eu', alertname: 'L' },
        { alertname: 'L', cluster: 'eu' },
        { groupBy: ['alertname', 'cluster'], windowMinutes: null },
        true,
      ],
      ['[] puts everything in one group', { a: '1' }, { b: '2' }, { groupBy: [], windowMinutes: null }, true],
      [
        "'...' groups by every label",
        { a: '1', b: '2' },
        { a: '1', b: '3' },
        { groupBy: ['...'], windowMinutes: null },
        false,
      ],
      [
        "'...' with equal label sets",
        { a: '1', b: '2' },
        { b: '2', a: '1' },
        { groupBy: ['...'], windowMinutes: null },
        true,
      ],
      [
        'a value cannot forge another label',
        { cluster: 'eu","alertname' },
        { cluster: 'eu', alertname: '' },
        byCluster,
        false,
      ],
    ];
  for (const [name, left, right, rule, same] of cases) {
    it(name, () => {
      assert.equal(groupKeyOf(alert(left), rule) === groupKeyOf(alert(right), rule), same);
    });
  }

  it("a __proto__ label name reads only the alert's own labels", () => {
    const key = groupKeyOf(alert({}), { groupBy: ['__proto__'], windowMinutes: null });
    assert.equal(key, 'rule:[["__proto__",""]]');
  });
});

describe('groupingRuleErrors', () => {
  const cases: Array<[string, GroupingRule, string[]]> = [
    ['a good rule', { groupBy: ['cluster', 'alertname'], windowMinutes: 30 }, []],
    ['a bad label name', { groupBy: ['ok', 'not-ok'], windowMinutes: null }, ['groupBy[1]']],
    ["'...' with others", { groupBy: ['...', 'a'], windowMinutes: null }, ['groupBy']],
    ['a repeated label', { groupBy: ['a', 'a'], windowMinutes: null }, ['groupBy']],
    [
      'too many labels',
      { groupBy: Array.from({ length: 21 }, (_, i) => `l${i}`), windowMinutes: null },
      ['groupBy'],
    ],
    ['a zero window', { groupBy: [], windowMinutes: 0 }, ['windowMinutes']],
    ['a fractional window', { groupBy: [], windowMinutes: 1.5 }, ['windowMinutes']],
    ['a window over a week', { groupBy: [], windowMinutes: 10081 }, ['windowMinutes']],
  ];
  for (const [name, rule, fields] of cases) {
    it(name, () =>
      assert.deepEqual(
        groupingRuleErrors(rule).map((e) => e.field),
        fields,
      ),
    );
  }
});

describe('the grouping window', () => {
  const rule: GroupingRule = { groupBy: ['cluster'], windowMinutes: 10 };
  const receive = (a: NormalisedAlert, receivedAt: string, newIncidentId: string): ReceiveAlert => ({
    alert: a,
    integrationId: 'int-1',
    service: 'payments',
    receivedAt,
    newIncidentId: () => newIncidentId,
    autoResolve: true,
    silenceId: null,
    grouping: rule,
  });
  const first = alert({ cluster: 'eu', pod: 'a' });
  const opened = decideAlert(receive(first, '2026-01-01T10:00:00.000Z', 'inc-1'), emptyAlertGroup, null);
  const group = opened.events.reduce(evolveAlertGroup, emptyAlertGroup);
  const situation = { incidentId: 'inc-1', open: true, openedAt: '2026-01-01T10:00:00.000Z' };

  it('is a half-open interval from the opening', () => {
    assert.equal(withinWindow(rule, '2026-01-01T10:00:00.000Z', '2026-01-01T10:09:59.999Z'), true);
    assert.equal(withinWindow(rule, '2026-01-01T10:00:00.000Z', '2026-01-01T10:10:00.000Z'), false);
    assert.equal(
      withinWindow(
        { groupBy: [], windowMinutes: null },
        '2020-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
      ),
      true,
    );
  });

  it('a new alert inside the window joins the open incident', () => {
    const d = decideAlert(
      receive(alert({ cluster: 'eu', pod: 'b' }), '2026-01-01T10:09:00.000Z', 'inc-2'),
      group,
      situation,
    );
    assert.deepEqual(
      d.incident.map((c) => [c.type, c.incidentId]),
      [['attach', 'inc-1']],
    );
  });

  it('a new alert after the window opens a fresh incident', () => {
    const d = decideAlert(
      receive(alert({ cluster: 'eu', pod: 'b' }), '2026-01-01T10:11:00.000Z', 'inc-2'),
      group,
      situation,
    );
    assert.deepEqual(
      d.incident.map((c) => [c.type, c.incidentId]),
      [
        ['open', 'inc-2'],
        ['attach', 'inc-2'],
      ],
    );
  });

  it('a firing alert repeating after the window is still a repeat of its incident', () => {
    const d = decideAlert(
      receive({ ...first, fact: 'f2' }, '2026-01-01T11:00:00.000Z', 'inc-2'),
      group,
      situation,
    );
    assert.deepEqual(
      d.events.map((e) => e.type),
      ['AlertRepeated'],
    );
    assert.deepEqual(d.incident, []);
  });

  it('alerts of an earlier incident of the group do not hold the newer one open', () => {
    const second = alert({ cluster: 'eu', pod: 'b' });
    const split = decideAlert(receive(second, '2026-01-01T10:30:00.000Z', 'inc-2'), group, situation);
    const both = split.events.reduce(evolveAlertGroup, group);
    const resolve = decideAlert(
      receive({ ...second, action: 'resolve', fact: 'r' }, '2026-01-01T10:40:00.000Z', 'unused'),
      both,
      { incidentId: 'inc-2', open: true, openedAt: '2026-01-01T10:30:00.000Z' },
    );
    assert.deepEqual(
      resolve.incident.map((c) => [c.type, c.incidentId]),
      [['resolve', 'inc-2']],
    );
  });
});
