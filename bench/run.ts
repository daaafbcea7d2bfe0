/**
 * `npm run bench`: event-store figures as ratios against the floor measured in
 * the same run on the same database (see ../shared/reference/performance-anchors.md).
 * Arms alternate A/B over several rounds; the headline is the median per-round ratio.
 * Writes bench/results/<timestamp>.json and prints the same JSON.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresEventStore, SubscriptionRunner, UpcasterChain, type NewEvent } from '#vigil/event-store';
import { incidentUpcasters } from '#vigil/incidents';
import { createScratchDatabase } from '../apps/vigil/src/database/scratch-database.js';
import { runIngestionBench } from './ingest.js';
import { runPagingBench } from './paging.js';
import { createProjections } from '../apps/vigil/src/runtime.js';
import { chunkByEvents, incidentHistory } from '../apps/vigil/src/seed/incident-history.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const WRITERS = 4;
const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 100_000);
/** Events per page, for the replay and for its floor alike (Vigil's own batch size). */
const PAGE = 5000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const summary = (ratios: number[]) => {
  const iqr = quantile(ratios, 0.75) - quantile(ratios, 0.25);
  const med = median(ratios);
  return { median: round(med), iqr: round(iqr), rounds: ratios.map(round), noisy: iqr / med > 0.15 };
};
const round = (x: number) => Math.round(x * 1000) / 1000;

const payload = (i: number) => ({
  incidentId: randomUUID(),
  note: `benchmark event ${i}`,
  actor: 'user-1',
  at: new Date(1_700_000_000_000 + i).toISOString(),
});
const metadata = { actor: { kind: 'user', id: 'user-1' }, source: 'api' };

/** Runs `op` on `writers` concurrent loops for `ms`; answers units per second. */
const rate = async (writers: number, ms: number, op: (writer: number) => Promise<number>) => {
  let units = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (performance.now() < deadline) {
        const done = await op(w); // not `units += await …`: that reads `units` before the await and loses updates
        units += done;
      }
    }),
  );
  return units / ((performance.now() - started) / 1000);
};

const RAW_COLUMNS = `event_id, stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at, prev_hash, hash`;

const main = async () => {
  const scratch = await createScratchDatabase(
    'vigil_bench',
    process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL,
  );
  const url = scratch.url;

  const pool = new pg.Pool({ connectionString: url, max: WRITERS + 2 });
  const store = new PostgresEventStore(pool, { upcasters: new UpcasterChain(incidentUpcasters) });
  await pool.query(
    `CREATE TABLE raw_events (global_position bigserial, ${RAW_COLUMNS.split(', ')
      .map(
        (c) =>
          `${c} ${({ event_id: 'uuid', stream_version: 'int', schema_version: 'int', data: 'jsonb', metadata: 'jsonb', occurred_at: 'timestamptz' } as Record<string, string>)[c] ?? 'text'}`,
      )
      .join(', ')}, recorded_at timestamptz DEFAULT clock_timestamp())`,
  );
  const settings = await pool.query(
    `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'wal_level', 'shared_buffers', 'server_version')`,
  );

  // Commit probe: single-row autocommit INSERTs, one connection.
  const probe: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await pool.query(
      `INSERT INTO raw_events (event_id, stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at, prev_hash, hash)
      VALUES ($1, 'probe', 'probe', $2, 'Probe', 1, '{}', '{}', now(), '', '')`,
      [randomUUID(), i],
    );
    probe.push(performance.now() - t0);
  }

  const versions = new Map<string, number>();
  const streamOf = (w: number) => `bench-${w}-${randomUUID()}`;
  const streams = Array.from({ length: WRITERS }, (_, w) => streamOf(w));
  let seq = 0;
  const events = (n: number): NewEvent[] =>
    Array.from({ length: n }, () => ({ type: 'BenchRecorded', data: payload(seq++), metadata }));

  const storeAppend = (n: number) => async (w: number) => {
    const streamId = streams[w]!;
    const expectedVersion = versions.get(streamId) ?? 0;
    const result = await store.append({ streamId, streamType: 'bench', expectedVersion, events: events(n) });
    versions.set(streamId, result.toVersion);
    return n;
  };
  // The floor: the same rows, the same driver and connection pool, into a table with no index, no
  // constraint and no trigger; a batch goes in as one JSON document, the fastest multi-row form we found
  // (faster than parallel unnest arrays), so the floor is as high as we know how to make it.
  const rawInsert = (n: number) => async (w: number) => {
    const rows = events(n).map((e, i) => ({
      event_id: randomUUID(),
      stream_id: streams[w]!,
      stream_type: 'bench',
      stream_version: i + 1,
      type: e.type,
      schema_version: 1,
      data: e.data,
      metadata: e.metadata,
      occurred_at: new Date().toISOString(),
      prev_hash: 'x'.repeat(64),
      hash: 'y'.repeat(64),
    }));
    if (n === 1) {
      const r = rows[0]!;
      await pool.query(
        `INSERT INTO raw_events (${RAW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          r.event_id,
          r.stream_id,
          r.stream_type,
          r.stream_version,
          r.type,
          r.schema_version,
          JSON.stringify(r.data),
          JSON.stringify(r.metadata),
          r.occurred_at,
          r.prev_hash,
          r.hash,
        ],
      );
    } else {
      await pool.query(
        `INSERT INTO raw_events (${RAW_COLUMNS}) SELECT ${RAW_COLUMNS} FROM jsonb_to_recordset($1::jsonb)
         AS t(event_id uuid, stream_id text, stream_type text, stream_version int, type text, schema_version int,
              data jsonb, metadata jsonb, occurred_at timestamptz, prev_hash text, hash text)`,
        [JSON.stringify(rows)],
      );
    }
    return n;
  };

  const results: Array<{ id: string; [key: string]: unknown }> = [];
  // Replay first, over a log of nothing but realistic incident history (the append arms below would
  // otherwise fill it with events no projection reads), rebuilding every read model from position 0.
  const history = incidentHistory({ incidents: Math.ceil(REPLAY_EVENTS / 5), eventsPerIncident: 5 });
  for (const chunk of chunkByEvents(history, 5000)) await store.appendMany(chunk);
  const totalEvents = Number((await pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
  const runner = new SubscriptionRunner(pool, store, createProjections(), { batchSize: PAGE });
  const replayRatios: number[] = [];
  const replayRates: number[] = [];
  const selectRates: number[] = [];
  for (let r = 0; r < Math.max(3, Math.floor(ROUNDS / 2)); r++) {
    // The floor is the best of several page sizes: as high as a plain read of the log goes.
    let selectRate = 0;
    for (const page of [1000, 2000, PAGE]) {
      const started = performance.now();
      let read = 0;
      let after = ['0', '0'];
      for (;;) {
        const { rows } = await pool.query(
          `SELECT global_position, transaction_id, event_id, stream_id, stream_type, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, prev_hash, hash
           FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
           ORDER BY transaction_id, global_position LIMIT $3`,
          [...after, page],
        );
        if (rows.length === 0) break;
        read += rows.length;
        after = [rows.at(-1).transaction_id, rows.at(-1).global_position];
      }
      selectRate = Math.max(selectRate, read / ((performance.now() - started) / 1000));
    }
    const t0 = performance.now();
    const projected = await runner.replay();
    const replayRate = projected / ((performance.now() - t0) / 1000);
    selectRates.push(selectRate);
    replayRates.push(replayRate);
    replayRatios.push(replayRate / selectRate);
  }
  results.push({
    id: 'replay',
    events: totalEvents,
    system: {
      what: 'rebuild every read model from position 0 (incidents + timeline)',
      events_per_s: Math.round(median(replayRates)),
    },
    floor: {
      what: 'raw sequential SELECT of the events table by the same keyset and index, rows parsed; best of pages of 1,000, 2,000 and 5,000',
      rows_per_s: Math.round(median(selectRates)),
    },
    ratio: summary(replayRatios),
  });

  // Let the database settle after the replay (autovacuum would otherwise run during the append arms).
  await pool.query('VACUUM ANALYZE');
  await pool.query('CHECKPOINT');
  for (const [id, size] of [
    ['append_single', 1],
    ['append_batch_100', 100],
  ] as const) {
    const ratios: number[] = [];
    const system: number[] = [];
    const floor: number[] = [];
    await rate(WRITERS, 300, storeAppend(size)); // warm-up
    await rate(WRITERS, 300, rawInsert(size));
    for (let r = 0; r < ROUNDS; r++) {
      const s = await rate(WRITERS, ROUND_MS, storeAppend(size));
      const f = await rate(WRITERS, ROUND_MS, rawInsert(size));
      system.push(s);
      floor.push(f);
      ratios.push(s / f);
    }
    results.push({
      id,
      writers: WRITERS,
      events_per_append: size,
      system: { events_per_s: Math.round(median(system)) },
      floor: {
        what: `raw INSERT of the same rows into a plain table (${size === 1 ? 'one row per statement' : '100 rows per statement, as one JSON document'})`,
        rows_per_s: Math.round(median(floor)),
      },
      ratio: summary(ratios),
    });
  }

  // The server-process benchmarks each get a database of their own: a server starting on the
  // log the benchmarks above left (100,000 replayed incidents) would spend the run catching up.
  const onFreshDatabase = async <T>(work: (databaseUrl: string) => Promise<T>): Promise<T> => {
    // On the same server (the embedded one too): its maintenance database names it.
    const server = new URL(url);
    server.pathname = '/postgres';
    const fresh = await createScratchDatabase('vigil_bench', server.href);
    try {
      return await work(fresh.url);
    } finally {
      await fresh.drop();
    }
  };
  if (process.env.BENCH_SKIP_INGEST !== '1') {
    results.push(
      ...(await onFreshDatabase((databaseUrl) =>
        runIngestionBench(databaseUrl, { rounds: Math.max(5, Math.floor(ROUNDS / 2)), roundMs: ROUND_MS }),
      )),
    );
  }

  if (process.env.BENCH_SKIP_PAGING !== '1') {
    results.push(
      await onFreshDatabase((databaseUrl) =>
        runPagingBench(databaseUrl, { seconds: Math.max(3, Math.round((ROUND_MS * 3) / 1000)) }),
      ),
    );
  }

  const ratioOf = (id: string) =>
    (results.find((r) => r.id === id) as { ratio?: { median: number } } | undefined)?.ratio?.median ?? NaN;
  const latency = results.find((r) => r.id === 'ingest_to_visible_latency') as
    { latency_ms: { p99: number } } | undefined;
  const paging = results.find((r) => r.id === 'alert_to_slack_page_latency') as
    { latency_ms: { p99: number } } | undefined;
  const goals = {
    append_batch_100: { target: 0.5, pass: ratioOf('append_batch_100') >= 0.5 },
    replay: { target: 0.3, pass: ratioOf('replay') >= 0.3 },
    ingest_pagerduty: { target: 0.5, pass: ratioOf('ingest_pagerduty') >= 0.5 },
    ingest_alertmanager: { target: 0.5, pass: ratioOf('ingest_alertmanager') >= 0.5 },
    ingest_to_visible_p99_ms: { target: 50, pass: latency ? latency.latency_ms.p99 < 50 : false },
    alert_to_slack_page_p99_ms: { target: 1000, pass: paging ? paging.latency_ms.p99 < 1000 : false },
  };

  const report = {
    env: {
      node: process.version,
      cpus: cpus().length,
      database: scratch.embedded ? 'embedded' : 'external',
      postgres: Object.fromEntries(
        settings.rows.map((r: { name: string; setting: string }) => [r.name, r.setting]),
      ),
      commit_probe: { p50_ms: round(quantile(probe, 0.5)), p99_ms: round(quantile(probe, 0.99)) },
      rounds: ROUNDS,
      round_ms: ROUND_MS,
    },
    results,
    goals,
  };
  pool.on('error', () => undefined); // connections still closing when the database is dropped
  await pool.end();
  await scratch.drop();

  const json = JSON.stringify(report, null, 2);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(join('bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), json);
  console.log(json);
};

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
