import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { PostgresEventStore, SubscriptionRunner, UpcasterChain, withTransaction } from '#vigil/event-store';
import { incidentUpcasters } from '#vigil/incidents';
import { createProjections } from '../../apps/vigil/src/runtime.js';
import { chunkByEvents, incidentHistory } from '../../apps/vigil/src/seed/incident-history.js';
import { testPool } from '../support/database.js';

/** Every row of a table, as one digest and a count, in a fixed order. */
const digest = async (pool: pg.Pool, table: string, order: string) => {
  const { rows } = await pool.query<{ n: string; md5: string }>(
    `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${order}), '')) AS md5 FROM ${table} t`,
  );
  return rows[0]!;
};

const snapshot = async (pool: pg.Pool) => ({
  incidents: await digest(pool, 'incidents', 'incident_id'),
  timeline: await digest(pool, 'incident_timeline', 'incident_id, stream_version'),
  alertFacts: await digest(pool, 'alert_fact_counts', 'minute, service, rule, kind'),
  alertKeys: await digest(pool, 'alert_keys', 'group_stream_id, alert_key'),
  alertIncidents: await digest(pool, 'alert_incidents', 'incident_id'),
});

describe('read models', () => {
  let pool: pg.Pool;
  let store: PostgresEventStore;
  let runner: SubscriptionRunner;

  before(() => {
    pool = testPool();
    store = new PostgresEventStore(pool, { upcasters: new UpcasterChain(incidentUpcasters) });
    runner = new SubscriptionRunner(pool, store, createProjections(), { batchSize: 2000 });
  });
  after(() => pool.end());

  it('a replay of 100,000 events rebuilds the read models identical, row for row, to the live ones', async () => {
    const history = incidentHistory({ incidents: 20_000, eventsPerIncident: 5 });
    const total = history.reduce((n, r) => n + r.events.length, 0);
    assert.ok(total >= 100_000, `seeded ${total} events`);
    // Live: projections run while the history is appended, batch after batch.
    for (const chunk of chunkByEvents(history, 5000)) {
      await store.appendMany(chunk);
      await runner.catchUpAll();
    }
    const live = await snapshot(pool);
    assert.ok(Number(live.incidents.n) >= 20_000);
    assert.ok(Number(live.timeline.n) >= total);

    const replayed = await runner.replay();
    assert.ok(replayed >= total, 'the replay read every event again');
    assert.deepEqual(await snapshot(pool), live);
  });

  it('applying the same events twice changes nothing (projections are idempotent)', async () => {
    const before = await snapshot(pool);
    const { rows } = await pool.query<{ stream_id: string }>(
      `SELECT stream_id FROM events WHERE stream_type = 'incident' ORDER BY global_position LIMIT 50`,
    );
    const events = (await Promise.all(rows.map((r) => store.readStream(r.stream_id)))).flat();
    // As the runner does it: inside a transaction (the timeline's COPY falls back to INSERT … ON CONFLICT).
    await withTransaction(pool, async (tx) => {
      for (const projection of createProjections()) await projection.apply(tx, events);
    });
    assert.deepEqual(await snapshot(pool), before);
  });
});
