import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ALERT_GROUP_STREAM_TYPE,
  AlertIngestion,
  SNAPSHOT_EVERY,
  alertGroupStreamId,
  type Delivery,
} from '#vigil/alerts';
import { ManualClock } from '#vigil/common';
import { verifyChain } from '#vigil/event-store';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait-for.js';

describe('grouping rules per service', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  const integration = async (service: string) => {
    const res = await t.call('POST', '/v1/integrations', {
      body: { name: 'generic test', service, type: 'generic' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string };
  };
  const send = (key: string, body: Record<string, unknown>) =>
    t.call('POST', `/v1/integrations/${key}/alerts`, { key: null, body });
  /** Each incident of the service with the alert keys attached to it. */
  const incidentsOf = async (service: string) =>
    (
      await t.runtime.pool.query<{ stream_id: string; keys: string[] }>(
        `SELECT o.stream_id, array_agg(a.data->>'alertKey' ORDER BY a.data->>'alertKey') AS keys
         FROM events o JOIN events a ON a.stream_id = o.stream_id AND a.type = 'AlertAttached'
         WHERE o.type = 'IncidentOpened' AND o.data->>'service' = $1
         GROUP BY o.stream_id, o.global_position ORDER BY o.global_position`,
        [service],
      )
    ).rows.map((r) => r.keys);

  before(async () => {
    t = await startTestApp({ clock });
  });
  after(() => t.close());

  it('are validated, admin-only to change, and read back', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    assert.equal((await t.call('GET', `/v1/grouping-rules/${service}`)).status, 404);
    const bad = await t.call('PUT', `/v1/grouping-rules/${service}`, {
      body: { groupBy: ['ok', 'not-a-label', 'ok'], windowMinutes: 0 },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.deepEqual(
      new Set(bad.body.errors.map((e: { field: string }) => e.field)),
      new Set(['groupBy[1]', 'groupBy', 'windowMinutes']),
    );
    const wrongType = await t.call('PUT', `/v1/grouping-rules/${service}`, { body: { groupBy: 'cluster' } });
    assert.equal(wrongType.status, 400);
    const badService = await t.call('PUT', `/v1/grouping-rules/${encodeURIComponent('no spaces')}`, {
      body: { groupBy: [] },
    });
    assert.equal(badService.status, 400);
    const reader = await t.keyWith('incidents:read');
    assert.equal(
      (await t.call('PUT', `/v1/grouping-rules/${service}`, { key: reader, body: { groupBy: [] } })).status,
      403,
    );
    assert.equal(
      (await t.call('GET', '/v1/grouping-rules')).body.items.some(
        (r: { service: string }) => r.service === service,
      ),
      false,
      'nothing stored',
    );

    const put = await t.call('PUT', `/v1/grouping-rules/${service}`, {
      body: { groupBy: ['cluster'], windowMinutes: 30 },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const got = await t.call('GET', `/v1/grouping-rules/${service}`, { key: reader });
    assert.deepEqual([got.body.groupBy, got.body.windowMinutes], [['cluster'], 30]);
    assert.equal((await t.call('DELETE', `/v1/grouping-rules/${service}`)).status, 204);
    assert.equal((await t.call('DELETE', `/v1/grouping-rules/${service}`)).status, 404);
  });

  it('fold alerts with equal group_by labels into one incident, and split the others', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const { key } = await integration(service);
    const put = await t.call('PUT', `/v1/grouping-rules/${service}`, {
      body: { groupBy: ['cluster', 'alertname'] },
    });
    assert.equal(put.status, 200);
    const alert = (dedupKey: string, cluster: string) =>
      send(key, {
        dedupKey,
        summary: `${dedupKey} is slow`,
        labels: { alertname: 'Latency', cluster, pod: dedupKey },
      });
    for (const [dedupKey, cluster] of [
      ['a', 'eu'],
      ['b', 'eu'],
      ['c', 'us'],
      ['d', 'eu'],
    ] as const) {
      assert.equal((await alert(dedupKey, cluster)).status, 202);
    }
    assert.deepEqual(await incidentsOf(service), [['a', 'b', 'd'], ['c']]);
  });

  it('without a rule, each alert keeps the group its source gave it', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const { key } = await integration(service);
    for (const dedupKey of ['a', 'b']) {
      assert.equal((await send(key, { dedupKey, summary: 's', labels: { cluster: 'eu' } })).status, 202);
    }
    assert.deepEqual(await incidentsOf(service), [['a'], ['b']]);
  });

  it('the window: a new alert after it opens a fresh incident, a repeat stays with its own', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const { key } = await integration(service);
    await t.call('PUT', `/v1/grouping-rules/${service}`, {
      body: { groupBy: ['cluster'], windowMinutes: 10 },
    });
    const at = (iso: string) => clock.set(iso);
    const fire = (dedupKey: string, summary = 's') =>
      send(key, { dedupKey, summary, labels: { cluster: 'eu' } });
    at('2026-03-01T11:00:00.000Z');
    assert.equal((await fire('a')).status, 202);
    at('2026-03-01T11:09:00.000Z');
    assert.equal((await fire('b')).status, 202);
    at('2026-03-01T11:10:00.000Z');
    assert.equal((await fire('c')).status, 202);
    assert.equal((await fire('a', 'a changed')).status, 202);
    assert.deepEqual(await incidentsOf(service), [['a', 'b'], ['c']]);
    const repeats = await t.runtime.pool.query(
      `SELECT 1 FROM events WHERE type = 'AlertRepeated' AND data->>'alertKey' = 'a' AND stream_type = 'alert-group'
       AND stream_id IN (SELECT stream_id FROM events WHERE type = 'AlertTriggered' AND data->>'service' = $1)`,
      [service],
    );
    assert.equal(repeats.rowCount, 1);
  });
});

describe('group commit', () => {
  let t: TestApp;
  /** A generic alert of group `groupKey`, firing or resolved; its fact names the alert and the action. */
  const alertOf = (dedupKey: string, groupKey: string, action: 'trigger' | 'resolve' = 'trigger') => ({
    source: 'generic' as const,
    action,
    dedupKey,
    groupKey,
    fact: `${action === 'trigger' ? 'firing' : 'resolved'}|${dedupKey}`,
    severity: 'SEV2' as const,
    summary: dedupKey,
    labels: {},
    annotations: {},
    links: [],
    startsAt: '2026-01-01T00:00:00.000Z',
  });
  /** Hands `ingestion` one firing alert of group `groupKey`, as a payload of its own answered with its key. */
  const deliverOne = (
    ingestion: AlertIngestion,
    integration: Delivery['integration'],
    groupKey: string,
    dedupKey: string,
  ) =>
    ingestion.deliver({
      integration,
      payloadHash: `${groupKey}-${dedupKey}`,
      alerts: [alertOf(dedupKey, groupKey)],
      response: { dedupKey },
      now: new Date().toISOString(),
    });
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('takes concurrent deliveries together in fewer transactions, and answers each only after commit', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    const { key } = (
      await t.call('POST', '/v1/integrations', { body: { name: 'burst', service, type: 'generic' } })
    ).body as { key: string };
    const n = 120;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        t.call('POST', `/v1/integrations/${key}/alerts`, {
          key: null,
          body: { dedupKey: `k${i}`, summary: `alert ${i}` },
        }),
      ),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([202]));
    const { rows } = await t.runtime.pool.query<{ alerts: string; transactions: string }>(
      `SELECT count(*) AS alerts, count(DISTINCT transaction_id) AS transactions FROM events
       WHERE type = 'AlertTriggered' AND data->>'service' = $1`,
      [service],
    );
    assert.equal(Number(rows[0]!.alerts), n, 'every accepted alert is in the log');
    // Requests reach the server spread over time, and a batch commits in one round trip: how many
    // share one depends on the machine, but one transaction each would be n.
    assert.ok(
      Number(rows[0]!.transactions) <= n * 0.75,
      `${n} concurrent deliveries took ${rows[0]!.transactions} transactions`,
    );
  });

  it('a process with nothing in memory continues a long group from its snapshot and the events after it', async () => {
    const { integration } = await t.runtime.integrations.create({
      name: 'long',
      service: 'long',
      type: 'generic',
    });
    const alert = (n: number) => ({
      source: 'generic' as const,
      action: 'trigger' as const,
      dedupKey: 'disk',
      groupKey: 'disk',
      fact: `firing|${n}`,
      severity: 'SEV2' as const,
      summary: `disk ${n}`,
      labels: {},
      annotations: {},
      links: [],
      startsAt: '2026-01-01T00:00:00.000Z',
    });
    const deliver = (ingestion: AlertIngestion, n: number, payloadHash = `long-${n}`) =>
      ingestion.deliver({
        integration,
        payloadHash,
        alerts: [alert(n)],
        response: { n },
        now: new Date().toISOString(),
      });
    const total = SNAPSHOT_EVERY + 12;
    for (let n = 0; n < total; n++) await deliver(t.runtime.ingestion, n);
    const streamId = alertGroupStreamId(integration.id, 'disk');
    const snapshot = await t.runtime.pool.query<{ version: number }>(
      `SELECT version FROM alert_group_snapshots WHERE stream_id = $1`,
      [streamId],
    );
    assert.equal(
      snapshot.rows[0]?.version,
      SNAPSHOT_EVERY,
      'the snapshot is behind the stream: a reader needs both',
    );

    const fresh = new AlertIngestion(
      t.runtime.pool,
      t.runtime.store,
      t.runtime.silences,
      t.runtime.groupingRules,
    );
    await deliver(fresh, total);
    await deliver(fresh, total - 1, 'long-again'); // an old fact again: a repeat of a firing alert, not a new incident
    const { rows } = await t.runtime.pool.query<{ type: string; n: string }>(
      `SELECT type, count(*) AS n FROM events WHERE stream_id = $1 GROUP BY type ORDER BY type`,
      [streamId],
    );
    assert.deepEqual(
      rows.map((r) => [r.type, Number(r.n)]),
      [
        ['AlertRepeated', total + 1],
        ['AlertTriggered', 1],
      ],
    );
  });

  it('two processes writing one group: the one whose state in memory went stale reads and goes on', async () => {
    const { integration } = await t.runtime.integrations.create({
      name: 'shared',
      service: `shared-${randomUUID().slice(0, 8)}`,
      type: 'generic',
    });
    const deliver = (ingestion: AlertIngestion, dedupKey: string) =>
      deliverOne(ingestion, integration, 'shared', dedupKey);
    const other = () =>
      new AlertIngestion(t.runtime.pool, t.runtime.store, t.runtime.silences, t.runtime.groupingRules);
    const [a, b] = [other(), other()];
    await deliver(a, 'x'); // opens the incident; a keeps the group and the incident in memory
    await deliver(b, 'y'); // b moves both on behind a's back
    await deliver(a, 'z'); // a's states are stale: its first try fails, the retry reads
    const { rows } = await t.runtime.pool.query<{ stream_type: string; type: string; n: string }>(
      `SELECT stream_type, type, count(*) AS n FROM events
       WHERE data->>'integrationId' = $1 OR stream_id IN (
         SELECT stream_id FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $2)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [integration.id, integration.service],
    );
    assert.deepEqual(
      rows.map((r) => [r.stream_type, r.type, Number(r.n)]),
      [
        ['alert-group', 'AlertTriggered', 3],
        ['incident', 'AlertAttached', 3],
        ['incident', 'IncidentOpened', 1],
      ],
    );
  });

  it('a hook that throws after a commit (a metric, a listener) fails no batch: the sender hears its answer', async () => {
    const { integration } = await t.runtime.integrations.create({
      name: 'hooks',
      service: `hooks-${randomUUID().slice(0, 8)}`,
      type: 'generic',
    });
    let retries = 0;
    const broken = () => {
      throw new Error('a broken hook');
    };
    const ingestion = new AlertIngestion(
      t.runtime.pool,
      t.runtime.store,
      t.runtime.silences,
      t.runtime.groupingRules,
      broken,
      { onBatch: broken, onBehind: broken, onKnown: broken, onRetry: () => retries++ },
    );
    try {
      const deliver = (dedupKey: string) => deliverOne(ingestion, integration, 'hooks', dedupKey);
      assert.deepEqual(await deliver('one'), { response: { dedupKey: 'one' }, replayed: false });
      const many = await Promise.all(['a', 'b', 'c'].map(deliver));
      assert.deepEqual(
        many.map((o) => o.replayed),
        [false, false, false],
      );
      assert.deepEqual(await deliver('one'), { response: { dedupKey: 'one' }, replayed: true });
      assert.equal(retries, 0, 'no batch was retried');
    } finally {
      await ingestion.close();
    }
  });

  describe('batches that guess', () => {
    const setUp = async () => {
      const { integration } = await t.runtime.integrations.create({
        name: 'guess',
        service: `guess-${randomUUID().slice(0, 8)}`,
        type: 'generic',
      });
      const deliver = (
        ingestion: AlertIngestion,
        payloadHash: string,
        alerts: ReturnType<typeof alertOf>[],
        response: unknown = { payloadHash },
      ) => ingestion.deliver({ integration, payloadHash, alerts, response, now: new Date().toISOString() });
      const eventsOf = async () =>
        (
          await t.runtime.pool.query<{ type: string; key: string }>(
            `SELECT type, data->>'alertKey' AS key FROM events
             WHERE stream_id LIKE $1 ORDER BY global_position`,
            [`${ALERT_GROUP_STREAM_TYPE}-${integration.id}-%`],
          )
        ).rows.map((r) => `${r.type} ${r.key}`);
      const process = () =>
        new AlertIngestion(t.runtime.pool, t.runtime.store, t.runtime.silences, t.runtime.groupingRules);
      return { integration, deliver, eventsOf, process };
    };

    it('a payload another process took gets its first answer, though nothing else gives the guess away', async () => {
      const { deliver, eventsOf, process } = await setUp();
      const [a, b] = [process(), process()];
      await deliver(b, 'open-x', [alertOf('x', 'g')]); // b keeps group g in memory
      // a takes a resend of x's fact: a receipt, and nothing appended, so b's g stays current.
      await deliver(a, 'resend-x', [alertOf('x', 'g')], { answer: 'first' });
      // The same payload reaches b, in one batch with an alert that appends to g: only the claim
      // can tell b that the payload was taken, and with what answer.
      const [, resent, opened] = await Promise.all([
        deliver(b, 'open-w', [alertOf('w', 'f')]),
        deliver(b, 'resend-x', [alertOf('x', 'g')], { answer: 'second' }),
        deliver(b, 'open-y', [alertOf('y', 'g')]),
      ]);
      assert.deepEqual(resent, { response: { answer: 'first' }, replayed: true });
      assert.equal(opened.replayed, false);
      assert.deepEqual((await eventsOf()).sort(), [
        'AlertTriggered w',
        'AlertTriggered x',
        'AlertTriggered y',
      ]);
    });

    it('a resolve for a group this process has not seen is not dropped by a batch that guesses', async () => {
      const { deliver, eventsOf, process } = await setUp();
      const [a, b] = [process(), process()];
      await deliver(a, 'open-x', [alertOf('x', 'g')]);
      // The first delivery goes alone; the two after it wait and share b's next batch. Guessing
      // group g new, b would take the resolve for an unknown alert and drop it.
      const [, resolved, opened] = await Promise.all([
        deliver(b, 'open-w', [alertOf('w', 'f')]),
        deliver(b, 'resolve-x', [alertOf('x', 'g', 'resolve')]),
        deliver(b, 'open-y', [alertOf('y', 'h')]),
      ]);
      assert.equal(resolved.replayed, false);
      assert.equal(opened.replayed, false);
      assert.deepEqual((await eventsOf()).sort(), [
        'AlertResolved x',
        'AlertTriggered w',
        'AlertTriggered x',
        'AlertTriggered y',
      ]);
    });

    /**
     * A process whose batch carrying alert k1 of group g (payload taken-k1) waits in the database
     * on what another transaction holds, `hold` (written into it with the integration id as $1
     * and group g's stream id as $2), until the deliveries of `behind`, decided on the states the
     * waiting batch leaves, went behind it; then the other transaction commits. Answers the
     * outcomes, the first one's apart, and how many batches were tried again.
     */
    const behindAWaitingBatch = async (
      hold: string,
      behind: Array<{ payloadHash: string; alerts: ReturnType<typeof alertOf>[] }>,
    ) => {
      const { integration, deliver, eventsOf } = await setUp();
      let sentBehind = 0;
      let retries = 0;
      const a = new AlertIngestion(
        t.runtime.pool,
        t.runtime.store,
        t.runtime.silences,
        t.runtime.groupingRules,
        undefined,
        { onBehind: () => sentBehind++, onRetry: () => retries++ },
      );
      await deliver(a, 'open-k0', [alertOf('k0', 'g')]);
      const other = await t.runtime.pool.connect();
      try {
        await other.query('BEGIN');
        await other.query(hold, [integration.id, alertGroupStreamId(integration.id, 'g')]);
        const first = deliver(a, 'taken-k1', [alertOf('k1', 'g')], { answer: 'second' });
        await waitFor(async () => {
          const { rows } = await t.runtime.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return rows[0]!.n > 0;
        }, 'the batch to wait');
        const rest = behind.map((d) => deliver(a, d.payloadHash, d.alerts));
        await waitFor(() => sentBehind > 0, 'a batch to go behind it');
        await other.query('COMMIT');
        const outcomes = await Promise.all(rest);
        assert.equal(sentBehind, 1);
        return { integration, eventsOf, first: await first, outcomes, retries };
      } finally {
        other.release();
      }
    };
    /** The other transaction takes the waiting batch's payload: it fails. */
    const behindAFailedBatch = async (
      behind: Array<{ payloadHash: string; alerts: ReturnType<typeof alertOf>[] }>,
    ) => {
      const result = await behindAWaitingBatch(
        `INSERT INTO delivery_receipts (integration_id, payload_hash, response)
         SELECT $1, 'taken-k1', '{"answer":"first"}' WHERE $2::text IS NOT NULL`,
        behind,
      );
      assert.deepEqual(result.first, { response: { answer: 'first' }, replayed: true });
      return result;
    };

    it('a batch sent behind one that commits commits too, first time', async () => {
      const eight = Array.from({ length: 8 }, (_, i) => `k${i + 2}`);
      // The other transaction holds group g's lock: the waiting batch waits, then commits.
      const { integration, eventsOf, first, outcomes, retries } = await behindAWaitingBatch(
        `SELECT pg_advisory_xact_lock(hashtext('vigil-alert-group'), hashtext($2)) WHERE $1::uuid IS NOT NULL`,
        eight.map((k) => ({ payloadHash: `open-${k}`, alerts: [alertOf(k, 'g')] })),
      );
      assert.equal(first.replayed, false);
      for (const outcome of outcomes) assert.equal(outcome.replayed, false);
      assert.equal(retries, 0, 'the batch behind was refused');
      assert.deepEqual(await eventsOf(), [
        'AlertTriggered k0',
        'AlertTriggered k1',
        ...eight.map((k) => `AlertTriggered ${k}`),
      ]);
      const events = await t.runtime.store.readStream(alertGroupStreamId(integration.id, 'g'));
      assert.deepEqual(verifyChain(events), { valid: true, events: 10, headHash: events.at(-1)!.hash });
    });

    it('a batch sent behind one that fails is refused and retried: every fact once, the chain whole', async () => {
      const eight = Array.from({ length: 8 }, (_, i) => `k${i + 2}`);
      const { integration, eventsOf, outcomes } = await behindAFailedBatch(
        eight.map((k) => ({ payloadHash: `open-${k}`, alerts: [alertOf(k, 'g')] })),
      );
      for (const outcome of outcomes) assert.equal(outcome.replayed, false);
      assert.deepEqual(await eventsOf(), ['AlertTriggered k0', ...eight.map((k) => `AlertTriggered ${k}`)]);
      const events = await t.runtime.store.readStream(alertGroupStreamId(integration.id, 'g'));
      assert.deepEqual(
        events.map((e) => e.streamVersion),
        Array.from({ length: 9 }, (_, i) => i + 1),
      );
      assert.deepEqual(verifyChain(events), { valid: true, events: 9, headHash: events.at(-1)!.hash });
    });

    it('an alert the failed batch carried, sent again behind it, is stored: nothing is decided on what did not commit', async () => {
      // Against the failed batch's states, k1 sent again is a repeat of a known fact: nothing to
      // append to g. Only the batches behind it (group h) append.
      const seven = Array.from({ length: 7 }, (_, i) => `h${i}`);
      const { eventsOf, outcomes } = await behindAFailedBatch([
        { payloadHash: 'again-k1', alerts: [alertOf('k1', 'g')] },
        ...seven.map((k) => ({ payloadHash: `open-${k}`, alerts: [alertOf(k, 'h')] })),
      ]);
      for (const outcome of outcomes) assert.equal(outcome.replayed, false);
      assert.deepEqual((await eventsOf()).sort(), [
        'AlertTriggered h0',
        'AlertTriggered h1',
        'AlertTriggered h2',
        'AlertTriggered h3',
        'AlertTriggered h4',
        'AlertTriggered h5',
        'AlertTriggered h6',
        'AlertTriggered k0',
        'AlertTriggered k1',
      ]);
    });

    it('a payload this process saw committed is answered from memory, without the database', async () => {
      const { integration, deliver, eventsOf, process } = await setUp();
      const a = process();
      await deliver(a, 'remembered', [alertOf('x', 'g')], { answer: 'first' });
      // With the receipt gone from the database, only memory can know the payload was taken.
      await t.runtime.pool.query(`DELETE FROM delivery_receipts WHERE integration_id = $1`, [integration.id]);
      const again = await deliver(a, 'remembered', [alertOf('x', 'g')], { answer: 'second' });
      assert.deepEqual(again, { response: { answer: 'first' }, replayed: true });
      assert.deepEqual(await eventsOf(), ['AlertTriggered x']);
    });
  });

  it('one delivery that the database refuses fails alone; the rest of its batch commits', async () => {
    const integration = (
      await t.runtime.integrations.create({ name: 'poison', service: 'poison', type: 'generic' })
    ).integration;
    const now = new Date().toISOString();
    const delivery = (i: number, data: Record<string, unknown>) => ({
      integration,
      payloadHash: `poison-${randomUUID()}-${i}`,
      alerts: [],
      response: { i },
      now,
      also: [
        {
          streamId: `poison-${randomUUID()}`,
          streamType: 'poison',
          expectedVersion: 0,
          events: [{ type: 'Poison', data }],
        },
      ],
    });
    // PostgreSQL's jsonb refuses the NUL character: a failure that no retry can mend.
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        t.runtime.ingestion.deliver(delivery(i, i === 5 ? { bad: 'nul\u0000' } : { ok: i })),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array.from({ length: 12 }, (_, i) => (i === 5 ? 'rejected' : 'fulfilled')),
    );
    const stored = await t.runtime.pool.query(`SELECT data FROM events WHERE stream_type = 'poison'`);
    assert.equal(stored.rowCount, 11);
  });
});
