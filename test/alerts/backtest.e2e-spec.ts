import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BacktestTooLarge, runBacktest } from '#vigil/alerts';
import { ManualClock } from '#vigil/common';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * A morning of one service's alerts, sent through the real receivers (Vigil's
 * JSON and Alertmanager), with people acknowledging and resolving incidents;
 * then backtests over it.
 */
describe('POST /v1/backtests', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2026-05-10T09:00:00.000Z'));
  const service = `bt-${randomUUID().slice(0, 8)}`;
  const range = { from: '2026-05-10T00:00:00Z', to: '2026-05-11T00:00:00Z', service };
  /** The incidents alerts opened, by the summary they were opened with. */
  const incidents = new Map<string, string>();

  const countEvents = async () =>
    Number((await t.runtime.pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
  const openedIncidents = async () =>
    (
      await t.runtime.pool.query<{ id: string; title: string }>(
        `SELECT data->>'incidentId' AS id, data->>'title' AS title FROM events
         WHERE type = 'IncidentOpened' AND data->>'service' = $1 ORDER BY global_position`,
        [service],
      )
    ).rows;
  const backtest = (body: Record<string, unknown>, key?: string) =>
    t.call('POST', '/v1/backtests', { body, ...(key === undefined ? {} : { key }) });

  before(async () => {
    t = await startTestApp({ clock });
    const integration = async (type: string) => {
      const res = await t.call('POST', '/v1/integrations', { body: { name: `bt ${type}`, service, type } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.key as string;
    };
    const generic = await integration('generic');
    const alertmanager = await integration('alertmanager');
    const send = async (dedupKey: string, labels: Record<string, string>, startsAt: string) => {
      const res = await t.call('POST', `/v1/integrations/${generic}/alerts`, {
        key: null,
        body: { dedupKey, summary: `${labels.alertname} on ${dedupKey}`, labels, startsAt },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    };
    const probes = async (status: 'firing' | 'resolved') => {
      const alert = (fingerprint: string, instance: string) => ({
        status,
        labels: { alertname: 'ProbeFailure', instance, severity: 'critical' },
        annotations: { summary: 'BlackBox Probe Failure' },
        startsAt: '2026-05-10T10:04:00.000Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-05-10T10:19:00.000Z',
        generatorURL: 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0',
        fingerprint,
      });
      const res = await t.call('POST', `/v1/integrations/${alertmanager}/alertmanager`, {
        key: null,
        body: {
          receiver: 'vigil',
          status,
          alerts: [
            alert('1a30ba71cca2921f', 'https://a.example.org'),
            alert('2b41cb82ddb3032a', 'https://b.example.org'),
          ],
          groupLabels: { alertname: 'ProbeFailure' },
          commonLabels: { alertname: 'ProbeFailure', severity: 'critical' },
          commonAnnotations: { summary: 'BlackBox Probe Failure' },
          externalURL: 'http://alertmanager.example.org:9093',
          version: '4',
          groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
          truncatedAlerts: 0,
        },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    };
    const person = async (action: 'acknowledge' | 'resolve', summary: string) => {
      const res = await t.call('POST', `/v1/incidents/${incidents.get(summary)}/${action}`, { body: {} });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };

    clock.set('2026-05-10T10:00:00.000Z');
    await send('db-1', { alertname: 'DiskFull', cluster: 'eu' }, '2026-05-10T09:59:00Z');
    clock.set('2026-05-10T10:01:00.000Z');
    await send('db-2', { alertname: 'DiskFull', cluster: 'eu' }, '2026-05-10T10:00:00Z');
    clock.set('2026-05-10T10:02:00.000Z');
    await send('web-1', { alertname: 'CpuHigh', cluster: 'us' }, '2026-05-10T10:01:00Z');
    clock.set('2026-05-10T10:03:00.000Z');
    // db-1 again with a new start: a repeat into its open incident.
    await send('db-1', { alertname: 'DiskFull', cluster: 'eu' }, '2026-05-10T10:02:00Z');
    clock.set('2026-05-10T10:05:00.000Z');
    await probes('firing');
    for (const { id, title } of await openedIncidents()) incidents.set(title, id);
    assert.equal(incidents.size, 4);

    clock.set('2026-05-10T10:10:00.000Z');
    await person('acknowledge', 'CpuHigh on web-1');
    clock.set('2026-05-10T10:20:00.000Z');
    await probes('resolved');
    clock.set('2026-05-10T10:30:00.000Z');
    await person('resolve', 'DiskFull on db-2');
    clock.set('2026-05-10T10:40:00.000Z');
    // db-2 still fires after a person resolved its incident: its next fact opens a new one.
    await send('db-2', { alertname: 'DiskFull', cluster: 'eu' }, '2026-05-10T10:39:00Z');
    assert.equal((await openedIncidents()).length, 5);
    // Actionable is the alert-fatigue projection's judgement: let it catch up.
    await t.runtime.subscriptions.catchUpAll();
  });
  after(() => t.close());

  it('with no rule changed, the proposal is what happened, and what happened is the fatigue report', async () => {
    const before = await countEvents();
    const res = await backtest({ ...range, rules: {} });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { actual, proposed, difference } = res.body;
    assert.deepEqual(proposed, actual);
    assert.deepEqual(
      [actual.incidents, actual.pages, actual.actionable, actual.nonActionable, actual.alertFatigueRatio],
      [5, 5, 2, 3, 1.5],
    );
    assert.deepEqual(actual.alerts, { received: 7, deduplicated: 1, suppressed: 0, flapping: 0 });
    assert.deepEqual([difference.incidents, difference.pages, difference.alertFatigueRatio], [0, 0, 0]);
    // Nine alert facts; the facts read also hold incidents closing (any service's).
    assert.deepEqual([res.body.alerts.replayed, res.body.alerts.carriedOver], [9, 0]);
    assert.ok(res.body.alerts.factsRead >= 11);
    assert.deepEqual(
      res.body.incidents.map((i: { title: string; actualIncidents: string[] }) => [
        i.title,
        i.actualIncidents,
      ]),
      [
        ['DiskFull on db-1', [incidents.get('DiskFull on db-1')]],
        ['DiskFull on db-2', [incidents.get('DiskFull on db-2')]],
        ['CpuHigh on web-1', [incidents.get('CpuHigh on web-1')]],
        ['BlackBox Probe Failure', [incidents.get('BlackBox Probe Failure')]],
        ['DiskFull on db-2', [(await openedIncidents())[4]!.id]],
      ],
    );
    assert.ok(res.body.definitions.page.includes('reopened'));

    const report = await t.call(
      'GET',
      `/v1/analytics/alert-fatigue?service=${service}&from=${range.from}&to=${range.to}`,
    );
    assert.equal(report.status, 200);
    assert.equal(actual.alertFatigueRatio, report.body.alertFatigueRatio);
    assert.deepEqual({ ...actual.alerts, openedIncidents: actual.incidents }, report.body.alerts);
    assert.deepEqual(actual.noisiestRules, report.body.noisiestRules);
    assert.equal(await countEvents(), before, 'a backtest stores nothing');
  });

  it('a grouping rule folds the disks into one incident: fewer incidents and pages', async () => {
    const before = await countEvents();
    const res = await backtest({ ...range, rules: { grouping: { groupBy: ['alertname'] } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { actual, proposed, difference } = res.body;
    assert.equal(actual.incidents, 5);
    assert.deepEqual(
      [
        proposed.incidents,
        proposed.pages,
        proposed.actionable,
        proposed.nonActionable,
        proposed.alertFatigueRatio,
      ],
      [3, 3, 2, 1, 0.5],
    );
    assert.deepEqual([difference.incidents, difference.pages], [-2, -2]);
    // db-2's later fact repeats into the folded incident, which a person's resolving db-2 alone did not close.
    assert.equal(proposed.alerts.deduplicated, 2);
    const [disks] = res.body.incidents;
    assert.equal(disks.alertCount, 2);
    assert.deepEqual(new Set(disks.alerts.map((a: string) => a.split('/')[1])), new Set(['db-1', 'db-2']));
    assert.equal(disks.actualIncidents.length, 3);
    assert.equal(disks.actionable, true);
    assert.deepEqual(res.body.rules.grouping, { groupBy: ['alertname'], windowMinutes: null });
    assert.equal(await countEvents(), before);
  });

  it('a silence on CpuHigh pages less, but hides the incident someone acted on', async () => {
    const res = await backtest({
      ...range,
      rules: {
        silences: [
          {
            matchers: [{ name: 'alertname', op: '=', value: 'CpuHigh' }],
            startsAt: '2026-05-10T00:00:00Z',
            endsAt: '2026-05-11T00:00:00Z',
            comment: 'would this have helped?',
          },
        ],
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { proposed, difference } = res.body;
    assert.deepEqual(
      [
        proposed.incidents,
        proposed.pages,
        proposed.actionable,
        proposed.nonActionable,
        proposed.alertFatigueRatio,
      ],
      [4, 4, 1, 3, 3],
    );
    assert.equal(proposed.alerts.suppressed, 1);
    assert.deepEqual([difference.pages, difference.alertFatigueRatio], [-1, 1.5]);
    assert.equal(res.body.rules.silences.proposed, 1);
  });

  it('flapping and auto-resolve can be changed too; a range outside the alerts replays nothing', async () => {
    const noAutoResolve = await backtest({ ...range, rules: { autoResolve: false, flapping: null } });
    assert.equal(noAutoResolve.status, 200, JSON.stringify(noAutoResolve.body));
    assert.equal(noAutoResolve.body.proposed.incidents, 5);
    assert.equal(noAutoResolve.body.rules.flapping, null);
    const empty = await backtest({ from: '2026-04-01T00:00:00Z', to: '2026-04-02T00:00:00Z', service });
    assert.equal(empty.status, 200);
    assert.deepEqual([empty.body.alerts.replayed, empty.body.actual.incidents], [0, 0]);
    assert.equal(empty.body.actual.alertFatigueRatio, null);
    const otherService = await backtest({ ...range, service: `none-${randomUUID().slice(0, 8)}` });
    assert.deepEqual([otherService.body.alerts.replayed, otherService.body.actual.incidents], [0, 0]);
  });

  it('bad input is a 400 problem naming every bad field; nothing is stored', async () => {
    const before = await countEvents();
    const shape = await backtest({
      from: 'yesterday',
      to: range.to,
      warmupMinutes: -1,
      rules: { flapping: { maxFires: 0, windowMinutes: 30 }, grouping: 'alertname', bogus: true },
      extra: 1,
    });
    assert.equal(shape.status, 400);
    assert.match(shape.headers.get('content-type') ?? '', /application\/problem\+json/);
    const shapeFields = new Set(shape.body.errors.map((e: { field: string }) => e.field));
    for (const field of [
      'from',
      'warmupMinutes',
      'rules.flapping.maxFires',
      'rules.grouping',
      'rules.bogus',
      'extra',
    ]) {
      assert.ok(shapeFields.has(field), `${field} in ${[...shapeFields].join(', ')}`);
    }

    const meaning = await backtest({
      from: range.to,
      to: range.from,
      rules: {
        grouping: { groupBy: ['cluster', 'not-a-label'], windowMinutes: 0 },
        silences: [
          {
            matchers: [
              { name: 'alertname', op: '=~', value: '(' },
              { name: 'bad name', op: '=', value: 'x' },
            ],
            startsAt: '2026-05-10T02:00:00Z',
            endsAt: '2026-05-10T01:00:00Z',
          },
        ],
      },
    });
    assert.equal(meaning.status, 400);
    assert.deepEqual(
      new Set(meaning.body.errors.map((e: { field: string }) => e.field)),
      new Set([
        'to',
        'rules.grouping.groupBy[1]',
        'rules.grouping.windowMinutes',
        'rules.silences.0.matchers.0',
        'rules.silences.0.matchers.1',
        'rules.silences.0.endsAt',
      ]),
    );

    const tooLong = await backtest({ from: '2026-01-01T00:00:00Z', to: '2026-05-01T00:00:00Z' });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.errors[0].field, 'to');
    const tooMany = await backtest({
      ...range,
      rules: {
        silences: Array.from({ length: 101 }, () => ({
          matchers: [{ name: 'a', op: '=', value: 'b' }],
          startsAt: range.from,
          endsAt: range.to,
        })),
      },
    });
    assert.equal(tooMany.status, 400);
    assert.equal(await countEvents(), before);
  });

  it('is documented in OpenAPI, with what the replay cannot see', async () => {
    const docs = await t.call('GET', '/docs-json', { key: null });
    assert.equal(docs.status, 200);
    const operation = docs.body.paths['/v1/backtests']?.post;
    assert.ok(operation, 'POST /v1/backtests is in the document');
    assert.match(operation.description, /byte-identical resend/);
    assert.ok(docs.body.components.schemas.BacktestRulesDto.properties.grouping);
  });

  it('needs incidents:read', async () => {
    const res = await backtest(range, await t.keyWith('silences:read'));
    assert.equal(res.status, 403);
    assert.equal((await t.call('POST', '/v1/backtests', { body: range, key: null })).status, 401);
    assert.equal((await backtest(range, await t.keyWith('incidents:read'))).status, 200);
  });

  it('runs one backtest at a time: another asked meanwhile is answered 429', async () => {
    // Hold the first backtest at its first read, deterministically, behind a lock on a table it reads.
    const blocker = await t.runtime.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE integrations IN ACCESS EXCLUSIVE MODE');
      const first = backtest(range);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const waiting = await t.runtime.pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
           AND query LIKE '%FROM integrations%'`,
        );
        if (waiting.rowCount) break;
        assert.ok(Date.now() < deadline, 'the first backtest never reached its read');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Without the limit the second would wait on the lock too: give it a few seconds, not forever.
      const second = await Promise.race([
        backtest(range),
        new Promise<{ status: string; body: null; headers: Headers }>((resolve) =>
          setTimeout(() => resolve({ status: 'no answer', body: null, headers: new Headers() }), 5000),
        ),
      ]);
      assert.equal(second.status, 429, JSON.stringify(second.body));
      assert.match(second.headers.get('content-type') ?? '', /application\/problem\+json/);
      await blocker.query('COMMIT');
      assert.equal((await first).status, 200);
      assert.equal((await backtest(range)).status, 200, 'the next one runs');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  });

  it('a range holding more facts than a backtest reads is refused, telling to narrow it', async () => {
    const before = await countEvents();
    await assert.rejects(
      runBacktest(t.runtime.pool, {
        from: range.from,
        to: range.to,
        warmupMinutes: 0,
        service,
        rules: { silences: [], recordedSilences: true },
        incidentLimit: 10,
        ruleLimit: 10,
        maxFacts: 5,
      }),
      (error) => error instanceof BacktestTooLarge && error.limit === 5,
    );
    assert.equal(await countEvents(), before);
  });
});
