import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertGroupStreamId } from '../application/delivery-batch.js';
import type { AlertGroupEvent } from '../domain/alert-group.js';
import { DEFAULT_FLAPPING } from '../domain/alert-group.js';
import type { GroupingRule } from '../domain/grouping.js';
import type { Silence } from '../domain/silences.js';
import {
  backtest,
  differenceOf,
  inLogOrder,
  integrationOfStream,
  NO_FLAPPING,
  type BacktestInput,
  type LoggedFact,
  type LoggedFactBody,
  type ReplayRules,
} from './backtest.js';

const INTEGRATION = '01900000-0000-7000-8000-000000000001';
const FROM = '2026-05-01T00:00:00.000Z';
const TO = '2026-05-02T00:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(FROM) + minutes * 60_000).toISOString();

/**
 * A log as ingestion records it: each helper appends the facts production
 * appends for one delivery (an alert group's event; an incident's lifecycle).
 */
class Log {
  readonly facts: LoggedFact[] = [];
  private readonly versions = new Map<string, number>();

  private append(streamId: string, minutes: number, rest: LoggedFactBody) {
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    this.facts.push({ streamId, version, at: at(minutes), ...rest });
    return this;
  }

  private alert(minutes: number, group: string, event: AlertGroupEvent) {
    return this.append(alertGroupStreamId(INTEGRATION, group), minutes, { kind: 'alert', event });
  }

  triggered(
    minutes: number,
    alertKey: string,
    o: { incident: string; opened: boolean; labels?: Record<string, string>; group?: string; fact?: string },
  ) {
    const labels = o.labels ?? { alertname: alertKey };
    return this.alert(minutes, o.group ?? alertKey, {
      type: 'AlertTriggered',
      data: {
        integrationId: INTEGRATION,
        service: 'checkout',
        groupKey: o.group ?? alertKey,
        alertKey,
        fact: o.fact ?? `fire@${minutes}`,
        source: 'generic',
        summary: `${alertKey} fired`,
        severity: 'SEV2',
        labels,
        startsAt: at(minutes),
        receivedAt: at(minutes),
        incidentId: o.incident,
        openedIncident: o.opened,
      },
    });
  }

  repeated(minutes: number, alertKey: string, incident: string, group = alertKey) {
    return this.alert(minutes, group, {
      type: 'AlertRepeated',
      data: { alertKey, fact: `repeat@${minutes}`, receivedAt: at(minutes), incidentId: incident },
    });
  }

  resolved(minutes: number, alertKey: string, incident: string | null, group = alertKey) {
    return this.alert(minutes, group, {
      type: 'AlertResolved',
      data: { alertKey, fact: `resolve@${minutes}`, receivedAt: at(minutes), incidentId: incident },
    });
  }

  suppressed(minutes: number, alertKey: string, labels: Record<string, string> = { alertname: alertKey }) {
    return this.alert(minutes, alertKey, {
      type: 'AlertSuppressed',
      data: {
        service: 'checkout',
        alertKey,
        fact: `fire@${minutes}`,
        silenceId: 'silence-1',
        source: 'generic',
        summary: `${alertKey} fired`,
        severity: 'SEV2',
        labels,
        startsAt: at(minutes),
        receivedAt: at(minutes),
      },
    });
  }

  flapping(minutes: number, alertKey: string, fires: number) {
    return this.alert(minutes, alertKey, {
      type: 'AlertFlapping',
      data: {
        alertKey,
        fact: `fire@${minutes}`,
        receivedAt: at(minutes),
        firesInWindow: fires,
        windowMinutes: DEFAULT_FLAPPING.windowMinutes,
      },
    });
  }

  /** A real incident closed: by its alerts (auto-resolve) or by a person. */
  incidentResolved(minutes: number, incidentId: string, byAlert: boolean) {
    return this.append(`incident-${incidentId}`, minutes, {
      kind: 'incident',
      type: 'IncidentResolved',
      incidentId,
      byAlert,
    });
  }

  incidentReopened(minutes: number, incidentId: string) {
    return this.append(`incident-${incidentId}`, minutes, {
      kind: 'incident',
      type: 'IncidentReopened',
      incidentId,
      byAlert: false,
    });
  }
}

const asRecorded: ReplayRules = {
  grouping: () => null,
  silences: [],
  flapping: DEFAULT_FLAPPING,
  autoResolve: () => true,
};

const run = (log: Log, rules: Partial<ReplayRules> = {}, more: Partial<BacktestInput> = {}) =>
  backtest({
    from: FROM,
    to: TO,
    service: null,
    facts: log.facts,
    rules: { ...asRecorded, ...rules },
    actionable: new Set(),
    ruleLimit: 10,
    ...more,
  });

const silence = (matchers: Silence['matchers'], fromMinutes = -60, toMinutes = 24 * 60): Silence => ({
  id: 'proposed',
  matchers,
  startsAt: at(fromMinutes),
  endsAt: at(toMinutes),
  comment: 'test',
  createdBy: 'test',
});

/**
 * A day of one service as production recorded it (no grouping rule, default
 * flapping, auto-resolve on): repeats, an auto-resolution, a person resolving
 * an incident whose alert then fires again, a reopening, a silenced alert.
 */
const recordedDay = () =>
  new Log()
    .triggered(0, 'disk', { incident: 'r1', opened: true, labels: { alertname: 'DiskFull', cluster: 'eu' } })
    .repeated(5, 'disk', 'r1')
    .triggered(10, 'cpu', { incident: 'r2', opened: true, labels: { alertname: 'CpuHigh', cluster: 'eu' } })
    .resolved(20, 'disk', 'r1')
    .incidentResolved(20, 'r1', true)
    .incidentResolved(30, 'r2', false)
    // cpu still fires after a person resolved its incident: its next fact opens a new one.
    .triggered(40, 'cpu', {
      incident: 'r3',
      opened: true,
      labels: { alertname: 'CpuHigh', cluster: 'eu' },
      fact: 'fire@40',
    })
    .incidentReopened(50, 'r2')
    .suppressed(60, 'noise')
    .resolved(70, 'noise', null)
    .triggered(80, 'disk', {
      incident: 'r4',
      opened: true,
      labels: { alertname: 'DiskFull', cluster: 'eu' },
    });

describe('backtest: the same rules as production', () => {
  it('replays a recorded day into the incidents production opened, one proposed per real incident', () => {
    const silenced: Partial<ReplayRules> = {
      silences: [silence([{ name: 'alertname', op: '=', value: 'noise' }])],
    };
    const result = run(recordedDay(), silenced, { actionable: new Set(['r2']) });
    assert.deepEqual(result.proposed, result.actual);
    assert.deepEqual(
      result.incidents.map((i) => [i.openedAt, i.actualIncidents, i.closedBy, i.reopened, i.actionable]),
      [
        [at(0), ['r1'], 'alerts', 0, false],
        [at(10), ['r2'], null, 1, true],
        [at(40), ['r3'], null, 0, false],
        [at(80), ['r4'], null, 0, false],
      ],
    );
    assert.deepEqual(
      [result.actual.incidents, result.actual.pages, result.actual.alertFatigueRatio],
      [4, 5, 3],
    );
    assert.deepEqual(result.actual.alerts, { received: 6, deduplicated: 1, suppressed: 1, flapping: 0 });
    assert.deepEqual(differenceOf(result.actual, result.proposed), {
      alerts: { received: 0, deduplicated: 0, suppressed: 0, flapping: 0 },
      incidents: 0,
      pages: 0,
      actionable: 0,
      nonActionable: 0,
      alertFatigueRatio: 0,
    });
  });

  it('without the person resolving r2, cpu would have stayed in it (the replay follows people)', () => {
    const log = recordedDay();
    const withoutPerson = new Log();
    withoutPerson.facts.push(...log.facts.filter((f) => !(f.kind === 'incident' && f.incidentId === 'r2')));
    const result = run(withoutPerson, {
      silences: [silence([{ name: 'alertname', op: '=', value: 'noise' }])],
    });
    // cpu's second fact now repeats into the open proposed incident instead of opening one.
    assert.equal(result.proposed.incidents, 3);
    assert.equal(result.proposed.alerts.deduplicated, 2);
  });
});

describe('backtest: grouping', () => {
  const threeDisks = () =>
    new Log()
      .triggered(0, 'disk-a', { incident: 'r1', opened: true, labels: { alertname: 'DiskFull', host: 'a' } })
      .triggered(1, 'disk-b', { incident: 'r2', opened: true, labels: { alertname: 'DiskFull', host: 'b' } })
      .triggered(2, 'cpu-a', { incident: 'r3', opened: true, labels: { alertname: 'CpuHigh', host: 'a' } })
      .triggered(3, 'disk-c', { incident: 'r4', opened: true, labels: { alertname: 'DiskFull', host: 'c' } });

  const cases: Array<[string, GroupingRule | null, Array<string[]>]> = [
    ['no rule: each alert its own group', null, [['r1'], ['r2'], ['r3'], ['r4']]],
    [
      'by alertname folds the disks',
      { groupBy: ['alertname'], windowMinutes: null },
      [['r1', 'r2', 'r4'], ['r3']],
    ],
    [
      'by host folds a disk with the cpu',
      { groupBy: ['host'], windowMinutes: null },
      [['r1', 'r3'], ['r2'], ['r4']],
    ],
    ['[] folds everything', { groupBy: [], windowMinutes: null }, [['r1', 'r2', 'r3', 'r4']]],
  ];
  for (const [name, rule, expected] of cases) {
    it(name, () => {
      const result = run(threeDisks(), { grouping: () => rule });
      assert.deepEqual(
        result.incidents.map((i) => i.actualIncidents),
        expected,
      );
      assert.equal(result.actual.incidents, 4);
      assert.equal(result.proposed.incidents, expected.length);
      assert.equal(result.proposed.pages, expected.length);
    });
  }

  it('a folded incident is actionable when any real incident in it was acted on', () => {
    const result = run(
      threeDisks(),
      { grouping: () => ({ groupBy: ['alertname'], windowMinutes: null }) },
      {
        actionable: new Set(['r2', 'r3']),
      },
    );
    assert.deepEqual([result.actual.actionable, result.actual.nonActionable], [2, 2]);
    assert.equal(result.actual.alertFatigueRatio, 1);
    assert.deepEqual([result.proposed.actionable, result.proposed.nonActionable], [2, 0]);
    assert.equal(result.proposed.alertFatigueRatio, 0);
  });

  const windowCases: Array<[string, number | null, number[][]]> = [
    ['no window: joins while open', null, [[0, 5, 12, 15]]],
    [
      '10 minutes: a new incident after it',
      10,
      [
        [0, 5],
        [12, 15],
      ],
    ],
    ['3 minutes: every alert its own', 3, [[0], [5], [12], [15]]],
  ];
  for (const [name, windowMinutes, expected] of windowCases) {
    it(`window splitting, ${name}`, () => {
      const log = new Log();
      [0, 5, 12, 15].forEach((m, i) => log.triggered(m, `a${m}`, { incident: `r${i}`, opened: true }));
      const result = run(log, { grouping: () => ({ groupBy: [], windowMinutes }) });
      assert.deepEqual(
        result.incidents.map((i) => i.alerts.map((a) => Number(a.split('/a')[1]))),
        expected,
      );
    });
  }
});

describe('backtest: silences', () => {
  const log = () =>
    new Log()
      .triggered(0, 'disk', { incident: 'r1', opened: true, labels: { alertname: 'DiskFull', env: 'prod' } })
      .triggered(10, 'cpu', {
        incident: 'r2',
        opened: true,
        labels: { alertname: 'CpuHigh', env: 'staging' },
      })
      .triggered(20, 'mem', {
        incident: 'r3',
        opened: true,
        labels: { alertname: 'MemHigh', env: 'staging' },
      });

  const cases: Array<[string, Silence[], number, number]> = [
    ['none', [], 3, 0],
    ['staging silenced', [silence([{ name: 'env', op: '=', value: 'staging' }])], 1, 2],
    ['everything but DiskFull', [silence([{ name: 'alertname', op: '!=', value: 'DiskFull' }])], 1, 2],
    ['by regex', [silence([{ name: 'alertname', op: '=~', value: '(Cpu|Mem)High' }])], 1, 2],
    ['by service', [silence([{ name: 'service', op: '=', value: 'checkout' }])], 0, 3],
    ['not yet begun', [silence([{ name: 'env', op: '=', value: 'staging' }], 15)], 2, 1],
    ['over before', [silence([{ name: 'env', op: '=', value: 'staging' }], -60, 5)], 3, 0],
  ];
  for (const [name, silences, incidents, suppressed] of cases) {
    it(`${name}: ${incidents} incidents`, () => {
      const result = run(log(), { silences });
      assert.equal(result.proposed.incidents, incidents);
      assert.equal(result.proposed.pages, incidents);
      assert.equal(result.proposed.alerts.suppressed, suppressed);
      assert.equal(result.proposed.alerts.received, 3);
      assert.equal(result.actual.incidents, 3);
    });
  }

  it('dropping a silence lets what it held back open incidents (nobody saw them: not actionable)', () => {
    const held = new Log().suppressed(0, 'noise').suppressed(5, 'noise2').resolved(30, 'noise', null);
    const result = run(held, { silences: [] }, { actionable: new Set(['r1']) });
    assert.equal(result.actual.incidents, 0);
    assert.equal(result.proposed.incidents, 2);
    assert.deepEqual(
      result.incidents.map((i) => [i.actualIncidents, i.actionable, i.closedBy]),
      [
        [[], false, 'alerts'],
        [[], false, null],
      ],
    );
  });
});

describe('backtest: flapping', () => {
  /** One alert firing and resolving seven times, as production recorded it with its default (5 in 30 minutes). */
  const flappingLog = () => {
    const log = new Log();
    for (let n = 0; n < 5; n++) {
      log.triggered(n * 2, 'link', { incident: `r${n}`, opened: true }).resolved(n * 2 + 1, 'link', `r${n}`);
    }
    // The sixth and seventh fire were held back; their resolutions changed nothing and left no fact.
    return log.flapping(10, 'link', 6).flapping(12, 'link', 7);
  };

  const cases: Array<[string, ReplayRules['flapping'], number, number, number]> = [
    ['as recorded (5 in 30 minutes)', DEFAULT_FLAPPING, 5, 2, 0],
    ['stricter (3 in 30 minutes)', { maxFires: 3, windowMinutes: 30 }, 3, 4, 0],
    ['a short window (5 in 2 minutes) never trips', { maxFires: 5, windowMinutes: 2 }, 6, 0, 1],
    // Looser rules let the sixth fire open an incident; its resolution is not in the log, so the seventh repeats.
    ['looser (10 in 30 minutes)', { maxFires: 10, windowMinutes: 30 }, 6, 0, 1],
    ['off', NO_FLAPPING, 6, 0, 1],
  ];
  for (const [name, flapping, incidents, flapped, deduplicated] of cases) {
    it(`${name}: ${incidents} incidents, ${flapped} flapping`, () => {
      const result = run(flappingLog(), { flapping });
      assert.equal(result.proposed.incidents, incidents);
      assert.equal(result.proposed.alerts.flapping, flapped);
      assert.equal(result.proposed.alerts.deduplicated, deduplicated);
      assert.deepEqual([result.actual.incidents, result.actual.alerts.flapping], [5, 2]);
    });
  }
});

describe('backtest: a busy group', () => {
  it('still sees an alert flapping among hundreds of others in its group', () => {
    const log = new Log();
    let incident = 0;
    const fireAndResolve = (minutes: number, alertKey: string) =>
      log
        .triggered(minutes, alertKey, { incident: `r${++incident}`, opened: true, group: 'g' })
        .resolved(minutes + 0.01, alertKey, `r${incident}`, 'g');
    for (let i = 0; i < 600; i++) {
      if (i % 100 === 0) fireAndResolve(i / 20, 'link');
      else fireAndResolve(i / 20, `noise-${i}`);
    }
    // link fired at 0, 5, 10, 15, 20 and 25 minutes: the sixth is its fifth fire within 30 minutes.
    const result = run(log, { flapping: { maxFires: 5, windowMinutes: 30 } });
    assert.equal(result.proposed.alerts.flapping, 1);
    assert.equal(result.proposed.incidents, 599);
  });
});

describe('backtest: the range', () => {
  it('facts before `from` shape the state but count on neither side', () => {
    const log = new Log()
      .triggered(-30, 'a', { incident: 'r0', opened: true, group: 'g' })
      .triggered(10, 'b', { incident: 'r0', opened: false, group: 'g' })
      .triggered(20, 'c', { incident: 'r1', opened: true, group: 'h' });
    const result = run(log);
    assert.deepEqual(result.proposed, result.actual);
    assert.equal(result.actual.incidents, 1);
    assert.equal(result.actual.alerts.received, 2);
    assert.equal(result.replayed, 2);
  });

  it('facts of alerts that began before the facts read are carried over, counted on neither side', () => {
    const log = new Log().repeated(10, 'old', 'r0').resolved(20, 'old', 'r0');
    const result = run(log);
    assert.deepEqual([result.carriedOver, result.replayed], [2, 0]);
    assert.equal(result.actual.alerts.received, 0);
    assert.equal(result.proposed.incidents, 0);
  });

  it('facts at or after `to` are left out', () => {
    const log = new Log()
      .triggered(0, 'a', { incident: 'r1', opened: true })
      .triggered(24 * 60, 'b', { incident: 'r2', opened: true });
    const result = run(log);
    assert.deepEqual([result.actual.incidents, result.proposed.incidents], [1, 1]);
  });

  it("only the service asked for: other services' alerts are not replayed", () => {
    const log = new Log().triggered(0, 'a', { incident: 'r1', opened: true });
    assert.equal(run(log, {}, { service: 'checkout' }).proposed.incidents, 1);
    assert.equal(run(log, {}, { service: 'payments' }).proposed.incidents, 0);
    assert.equal(run(log, {}, { service: 'payments' }).actual.incidents, 0);
  });

  it('auto-resolve off: an incident stays open and the alert firing again repeats into it', () => {
    const log = new Log()
      .triggered(0, 'a', { incident: 'r1', opened: true })
      .resolved(5, 'a', 'r1')
      .incidentResolved(5, 'r1', true)
      .triggered(10, 'a', { incident: 'r2', opened: true });
    const result = run(log, { autoResolve: () => false });
    assert.deepEqual([result.actual.incidents, result.proposed.incidents], [2, 1]);
    assert.equal(result.incidents[0]!.closedBy, null);
  });
});

describe('inLogOrder', () => {
  it('orders by time, ties in the order read, and keeps each stream in version order', () => {
    const f = (streamId: string, version: number, minutes: number) => ({
      streamId,
      version,
      at: at(minutes),
    });
    const read = [f('s', 2, 1), f('t', 1, 1), f('s', 1, 2), f('u', 1, 0)];
    assert.deepEqual(
      inLogOrder(read).map((x) => `${x.streamId}${x.version}`),
      ['u1', 's1', 't1', 's2'],
    );
  });
});

describe('integrationOfStream', () => {
  it("reads the integration back out of a group's stream id", () => {
    assert.equal(integrationOfStream(alertGroupStreamId(INTEGRATION, 'any group key')), INTEGRATION);
    assert.equal(integrationOfStream('incident-1'), null);
  });
});
