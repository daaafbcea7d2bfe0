/**
 * Ingestion through the full HTTP path: a Vigil server in its own process, load
 * from this one over keep-alive connections.
 * - Throughput: 32 senders, PagerDuty v2 and Alertmanager payloads (80% repeats
 *   of known alerts), against the floor of 32 concurrent single-row INSERTs, each
 *   arm with the CPU-seconds it spent per 1,000 units (see cpu.ts).
 * - Latency, open-loop: alerts sent on a fixed schedule (not one after another's
 *   reply, so a slow answer cannot hide later delays), each timed from its
 *   scheduled send to the moment its incident is visible in the read model. A
 *   first second warms the receiver's path and is reported apart.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { Integrations } from '#vigil/alerts';
import { ApiKeys } from '#vigil/common';
import { freePort } from '../apps/vigil/src/support/free-port.js';
import { addCpu, cpuSecondsPer1k, NO_CPU, startCpuMeter } from './cpu.js';
import { startServerProcess } from '../apps/vigil/src/support/server-process.js';

const SENDERS = 32;
/**
 * Before the first timed round of each arm: the server's code gets compiled and its caches take in
 * the known alerts, and the floor's 32 connections get opened, neither inside a timed round.
 */
const WARM_UP_MS = 2000;
/** Seconds of the latency arm's load between its cold first second and its measured seconds. */
const SETTLE_S = 5;

export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
export const round = (x: number) => Math.round(x * 100) / 100;

/** A Vigil server in its own process on loopback (its warnings shown), ready when this resolves. */
export const startServer = (databaseUrl: string, port: number, env: Record<string, string> = {}) =>
  startServerProcess(databaseUrl, port, { env, showErrors: true });

const BARE_RECEIVER = new URL('./bare-receiver.js', import.meta.url).pathname;

/**
 * Flushes what the arms before wrote (CHECKPOINT), so that their checkpoint does not land in the
 * next arm's commits. Without the right to (not a superuser or pg_checkpoint), the arm runs as is.
 */
export const checkpoint = (pool: pg.Pool) =>
  pool.query('CHECKPOINT').then(
    () => undefined,
    () => undefined,
  );

/** A bare receiver (see bare-receiver.ts) in its own process, listening when this resolves. */
const startBareReceiver = async (mode: 'answer' | 'commit', databaseUrl: string) => {
  const port = await freePort();
  const child = fork(BARE_RECEIVER, [mode, String(port), databaseUrl], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await once(child, 'message');
  return { child, http: new HttpPool(`http://127.0.0.1:${port}`, { connections: SENDERS, pipelining: 1 }) };
};

export const runIngestionBench = async (
  databaseUrl: string,
  options: { rounds: number; roundMs: number },
) => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: SENDERS + 2 });
  const integrations = new Integrations(pool);
  const pd = await integrations.create({ name: 'bench pagerduty', service: 'bench-pd', type: 'pagerduty' });
  const am = await integrations.create({
    name: 'bench alertmanager',
    service: 'bench-am',
    type: 'alertmanager',
  });
  const metricsKey = (await new ApiKeys(pool).create('bench metrics', ['metrics:read'])).key;
  const generic = await integrations.create({
    name: 'bench latency',
    service: 'bench-latency',
    type: 'generic',
  });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS raw_alerts (id bigserial, dedup_key text, body jsonb, received_at timestamptz DEFAULT now())`,
  );
  // The events table's shape (columns, defaults, unique indexes) with a sequence of its own.
  await pool.query(`
    CREATE SEQUENCE IF NOT EXISTS raw_events_position;
    CREATE TABLE IF NOT EXISTS raw_events (LIKE events INCLUDING ALL);
    ALTER TABLE raw_events ALTER COLUMN global_position SET DEFAULT nextval('raw_events_position')`);
  const port = await freePort();
  const server = await startServer(databaseUrl, port);
  const http = new HttpPool(`http://127.0.0.1:${port}`, { connections: SENDERS, pipelining: 1 });

  let seq = 0;
  /** 80% of alerts repeat one of 50 known ones; 20% are new. */
  const alertKey = () => (Math.random() < 0.8 ? `known-${Math.floor(Math.random() * 50)}` : `new-${seq++}`);
  const pdBody = () =>
    JSON.stringify({
      routing_key: pd.key,
      event_action: 'trigger',
      dedup_key: alertKey(),
      payload: { summary: 'Disk above 90%', source: 'db-1', severity: 'error', custom_details: { n: seq++ } },
    });
  // Alertmanager re-sends a group's alerts unchanged (same fingerprint and startsAt) every
  // group_interval: a known alert arrives byte-identical and must append nothing; a new one is a
  // new alert of a new group.
  const benchStart = new Date(Date.now() - 60_000).toISOString();
  // A known alert's bytes never change, so they are built once: the load generator shares the
  // machine's two cores with the server and should spend them on sending, not on re-serialising.
  const knownAmBodies = new Map<string, string>();
  const amBody = () => {
    const key = alertKey();
    if (!key.startsWith('known-')) return amBodyOf(key, false);
    let body = knownAmBodies.get(key);
    if (body === undefined) knownAmBodies.set(key, (body = amBodyOf(key, true)));
    return body;
  };
  const amBodyOf = (key: string, known: boolean) =>
    JSON.stringify({
      version: '4',
      status: 'firing',
      receiver: 'vigil',
      groupKey: `{}:{alertname="${key}"}`,
      groupLabels: { alertname: key },
      commonLabels: { alertname: key },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: key, severity: 'warning' },
          annotations: { summary: `Alert ${key}` },
          startsAt: known ? benchStart : new Date(Date.now() - 60_000).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 16),
        },
      ],
    });
  const post = async (path: string, body: string, to: HttpPool = http) => {
    const res = await to.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.body.dump();
    if (res.statusCode !== 202) throw new Error(`${path} answered ${res.statusCode}`);
  };
  /** Seconds the server's event loop has been busy (see vigil_event_loop_busy_seconds_total). */
  const loopBusy = async () => {
    const res = await http.request({
      method: 'GET',
      path: '/metrics',
      headers: { authorization: `Bearer ${metricsKey}` },
    });
    const text = await res.body.text();
    return Number(/^vigil_event_loop_busy_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  };
  /**
   * Runs `op` on every sender for `ms`: how many it did, per second, the CPU they all spent, and,
   * with `watchLoop`, the share of the time the server's event loop was busy (read outside the
   * CPU meter, so the scrape costs no arm anything).
   */
  const rate = async (
    ms: number,
    op: () => Promise<void>,
    watchLoop = false,
    process: ChildProcess = server,
  ) => {
    const busyBefore = watchLoop ? await loopBusy() : NaN;
    const meter = startCpuMeter(process.pid);
    let done = 0;
    const deadline = performance.now() + ms;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (performance.now() < deadline) {
          await op();
          done += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = meter?.() ?? null;
    const loop = watchLoop ? ((await loopBusy()) - busyBefore) / seconds : NaN;
    return { perSecond: done / seconds, done, cpu, loop };
  };
  const floor = () =>
    pool
      .query(`INSERT INTO raw_alerts (dedup_key, body) VALUES ($1, $2)`, [alertKey(), pdBody()])
      .then(() => undefined);
  /** The floor into a table of the events table's shape: each payload as one event of its own stream. */
  let rawVersion = 0;
  const hash = createHash('sha256').update('vigil').digest('hex');
  const floorEventsShape = () =>
    pool
      .query(
        `INSERT INTO raw_events (event_id, stream_id, stream_type, stream_version, type, data, occurred_at, prev_hash, hash)
         VALUES ($1, $2, 'alert', $3, 'AlertRepeated', $4, now(), $5, $5)`,
        [randomUUID(), `alert-${alertKey()}`, ++rawVersion, pdBody(), hash],
      )
      .then(() => undefined);

  const results = [];
  for (const [id, path, body] of [
    ['ingest_pagerduty', '/v2/enqueue', pdBody],
    ['ingest_alertmanager', `/v1/integrations/${am.key}/alertmanager`, amBody],
  ] as const) {
    await rate(WARM_UP_MS, () => post(path, body()));
    await rate(WARM_UP_MS / 4, floor);
    const ratios: number[] = [];
    const system: number[] = [];
    const floors: number[] = [];
    const loops: number[] = [];
    const cpu = { system: NO_CPU, floor: NO_CPU, alerts: 0, rows: 0, measured: true };
    for (let r = 0; r < options.rounds; r++) {
      const s = await rate(options.roundMs, () => post(path, body()), true);
      const f = await rate(options.roundMs, floor);
      system.push(s.perSecond);
      floors.push(f.perSecond);
      loops.push(s.loop);
      ratios.push(s.perSecond / f.perSecond);
      if (s.cpu && f.cpu) {
        cpu.system = addCpu(cpu.system, s.cpu);
        cpu.floor = addCpu(cpu.floor, f.cpu);
        cpu.alerts += s.done;
        cpu.rows += f.done;
      } else cpu.measured = false;
    }
    const median = (xs: number[]) => quantile(xs, 0.5);
    results.push({
      id,
      senders: SENDERS,
      system: {
        what:
          id === 'ingest_pagerduty'
            ? 'alerts/s through HTTP, dedup, grouping and commit (80% repeats of 50 firing alerts, each appending AlertRepeated)'
            : 'alerts/s through HTTP, dedup, grouping and commit (80% byte-identical re-sends of 50 firing alerts, appending nothing; 20% new alerts)',
        alerts_per_s: Math.round(median(system)),
      },
      floor: {
        what: `${SENDERS} concurrent single-row autocommit INSERTs of the same payload`,
        rows_per_s: Math.round(median(floors)),
      },
      ratio: { median: round(median(ratios)), rounds: ratios.map(round) },
      // Near 1, the server's main thread is the limit: requests, and the database's answers, wait.
      server_event_loop_busy: {
        what: "share of the system rounds' time the server's event loop was busy",
        median: round(median(loops)),
        rounds: loops.map(round),
      },
      // Where the ratio comes from: both arms are bound by the machine's CPU. The server's share
      // in the floor arm is its worker finishing what the system arm left.
      ...(cpu.measured
        ? {
            cpu_seconds_per_1k: {
              what: 'CPU-seconds per 1,000 alerts (system) or rows (floor): server process, all PostgreSQL processes, this load generator',
              system: cpuSecondsPer1k(cpu.system, cpu.alerts),
              floor: cpuSecondsPer1k(cpu.floor, cpu.rows),
            },
          }
        : {}),
    });
  }

  // Open-loop latency at 500 alerts/s: each alert opens its own incident, found by its title.
  const perSecond = 500;
  /**
   * An incident's `opened_at` is when the server took its alert, on the clock this process reads
   * too: never before the alert's scheduled send. Polls look that far back and a little further,
   * so each reads the few incidents opened since the oldest alert not yet seen, not every incident
   * of the run (a poll every 2 ms that read them all would cost the machine more as the run grew).
   */
  const OPENED_AT_SLACK_MS = 250;
  /** Sends `seconds` of alerts on schedule; answers each one's time from its scheduled send to visible. */
  const openLoop = async (seconds: number) => {
    /** Alerts sent and not yet seen, by title: when each was scheduled. */
    const pending = new Map<string, number>();
    /** Titles in the order they were scheduled; those before `oldest` are all seen or failed. */
    const order: string[] = [];
    let oldest = 0;
    const visible: number[] = [];
    let errors = 0;
    let polling = true;
    let lastSend = performance.now();
    const poller = (async () => {
      while (polling || pending.size > 0) {
        while (oldest < order.length && !pending.has(order[oldest]!)) oldest++;
        const since = oldest < order.length ? pending.get(order[oldest]!)! : null;
        if (since !== null) {
          const { rows } = await pool.query<{ title: string }>(
            `SELECT state->>'title' AS title FROM incidents
             WHERE service = 'bench-latency' AND opened_at >= $1`,
            [new Date(performance.timeOrigin + since - OPENED_AT_SLACK_MS)],
          );
          const now = performance.now();
          for (const row of rows) {
            const sentAt = pending.get(row.title);
            if (sentAt === undefined) continue;
            visible.push(now - sentAt);
            pending.delete(row.title);
          }
        }
        if (!polling && performance.now() > lastSend + 10_000) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < perSecond * seconds; i++) {
      const at = started + (i * 1000) / perSecond;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const title = `latency-${randomUUID()}`;
      pending.set(title, at);
      order.push(title);
      lastSend = performance.now();
      sends.push(
        post(
          `/v1/integrations/${generic.key}/alerts`,
          JSON.stringify({ dedupKey: title, summary: title }),
        ).catch(() => {
          errors++;
          pending.delete(title);
        }),
      );
    }
    await Promise.all(sends);
    polling = false;
    await poller;
    return { alerts: order.length, visible, errors, unseen: pending.size };
  };
  const percentiles = (xs: number[]) => ({
    p50: round(quantile(xs, 0.5)),
    p99: round(quantile(xs, 0.99)),
    p999: round(quantile(xs, 0.999)),
  });
  // The first second is a burst on a cold path: the receiver's code and connections warm, as the
  // throughput arms' warm-up warms theirs. For some seconds after it, V8 still compiles the paths of
  // an alert that opens an incident on its helper threads (measured at 0.1-0.3 of a core, a core the
  // server and PostgreSQL need). Both are reported apart; the steady rate is measured after them.
  // The throughput arms' writes are flushed first, so that a checkpoint of theirs does not land in
  // this arm's commits.
  await checkpoint(pool);
  const cold = await openLoop(1);
  const settling = await openLoop(SETTLE_S);
  const warm = await openLoop(Math.max(3, Math.round(options.roundMs / 1000)));
  results.push({
    id: 'ingest_to_visible_latency',
    rate_per_s: perSecond,
    alerts: warm.alerts,
    seen: warm.visible.length,
    errors: warm.errors,
    latency_ms: percentiles(warm.visible),
    unseen: warm.unseen,
    first_second_cold: { alerts: cold.alerts, errors: cold.errors, latency_ms: percentiles(cold.visible) },
    settling: {
      seconds: SETTLE_S,
      alerts: settling.alerts,
      errors: settling.errors,
      latency_ms: percentiles(settling.visible),
    },
  });

  // What the machine allows a receiver of the same PagerDuty requests, with the same senders (last:
  // the rows it writes would otherwise weigh on the latency arm's commits): bare
  // receivers that do only HTTP, or HTTP and group commit into one plain table (see
  // bare-receiver.ts), each round next to a round of the floor.
  const bare = {
    answer: await startBareReceiver('answer', databaseUrl),
    commit: await startBareReceiver('commit', databaseUrl),
  };
  const reference = {
    answer: [] as number[],
    commit: [] as number[],
    floor: [] as number[],
    eventsShape: [] as number[],
  };
  const referenceCpu = { answer: NO_CPU, commit: NO_CPU, requests: { answer: 0, commit: 0 }, measured: true };
  for (const mode of ['answer', 'commit'] as const) {
    await rate(WARM_UP_MS / 2, () => post('/v2/enqueue', pdBody(), bare[mode].http), false, bare[mode].child);
  }
  for (let r = 0; r < options.rounds; r++) {
    for (const mode of ['answer', 'commit'] as const) {
      const b = await rate(
        options.roundMs,
        () => post('/v2/enqueue', pdBody(), bare[mode].http),
        false,
        bare[mode].child,
      );
      reference[mode].push(b.perSecond);
      if (b.cpu) {
        referenceCpu[mode] = addCpu(referenceCpu[mode], b.cpu);
        referenceCpu.requests[mode] += b.done;
      } else referenceCpu.measured = false;
    }
    reference.floor.push((await rate(options.roundMs, floor)).perSecond);
    reference.eventsShape.push((await rate(options.roundMs, floorEventsShape)).perSecond);
  }
  for (const { child, http: to } of Object.values(bare)) {
    await to.close();
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  type Arm = { id: string; system: { alerts_per_s: number } };
  const arms = results as Arm[];
  const pagerduty = arms.find((r) => r.id === 'ingest_pagerduty')!.system.alerts_per_s;
  const alertmanager = arms.find((r) => r.id === 'ingest_alertmanager')!.system.alerts_per_s;
  const eventsShape = quantile(reference.eventsShape, 0.5);
  const ratiosTo = (xs: number[]) => xs.map((x, i) => x / reference.floor[i]!);
  results.push({
    id: 'ingest_machine_allows',
    what: `the same PagerDuty requests from the same ${SENDERS} senders, to bare node:http receivers that are not Vigil (bench/bare-receiver.ts), each round next to a round of the floor`,
    http_only: {
      what: 'parses each body and answers 202',
      requests_per_s: Math.round(quantile(reference.answer, 0.5)),
      ratio_to_floor: round(quantile(ratiosTo(reference.answer), 0.5)),
    },
    http_and_group_commit: {
      what: 'parses each body and answers 202 once it is committed, the bodies that waited going as one INSERT into one plain table',
      requests_per_s: Math.round(quantile(reference.commit, 0.5)),
      ratio_to_floor: round(quantile(ratiosTo(reference.commit), 0.5)),
    },
    // Vigil's PagerDuty rate against the bare group commit's, medians of different rounds.
    pagerduty_to_group_commit: round(pagerduty / quantile(reference.commit, 0.5)),
    // The floor of the benchmark protocol in ../shared/reference/performance-anchors.md: the same
    // single-row INSERTs into a table of the events table's shape and unique indexes.
    events_shape_floor: {
      what: `${SENDERS} concurrent single-row autocommit INSERTs of the same payload, each as one event into a table of the events table's columns and unique indexes`,
      rows_per_s: Math.round(eventsShape),
      ratio_to_floor: round(quantile(ratiosTo(reference.eventsShape), 0.5)),
      pagerduty_ratio: round(pagerduty / eventsShape),
      alertmanager_ratio: round(alertmanager / eventsShape),
    },
    ...(referenceCpu.measured
      ? {
          cpu_seconds_per_1k: {
            what: 'CPU-seconds per 1,000 requests: bare receiver, all PostgreSQL processes, this load generator',
            http_only: cpuSecondsPer1k(referenceCpu.answer, referenceCpu.requests.answer),
            http_and_group_commit: cpuSecondsPer1k(referenceCpu.commit, referenceCpu.requests.commit),
          },
        }
      : {}),
  });

  await http.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  pool.on('error', () => undefined);
  await pool.end();
  return results;
};
