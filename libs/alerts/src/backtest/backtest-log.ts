import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '#vigil/event-store';
import { ALERT_GROUP_STREAM_TYPE } from '../application/alert-ingestion.js';
import { DEFAULT_FLAPPING, type AlertGroupEvent } from '../domain/alert-group.js';
import type { GroupingRule } from '../domain/grouping.js';
import type { Matcher, Silence } from '../domain/silences.js';
import {
  BACKTEST_DEFINITIONS,
  Backtest,
  differenceOf,
  inLogOrder,
  NO_FLAPPING,
  type FlappingRule,
  type LoggedFact,
} from './backtest.js';

/** Most facts (alert facts and incident closings, warm-up included) one backtest reads. */
export const MAX_BACKTEST_FACTS = 200_000;
/** Rows fetched from the cursor at a time. */
const PAGE = 5_000;
/** Facts replayed between turns of the event loop (some tens of milliseconds). */
const STEP = 2_000;

/** The range holds more facts than a backtest reads: narrow it, or name a service. */
export class BacktestTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the range holds more than ${limit} alert facts`);
    this.name = 'BacktestTooLarge';
  }
}

/** A proposed silence: what POST /v1/silences takes, never stored. */
export type ProposedSilence = Pick<Silence, 'matchers' | 'startsAt' | 'endsAt' | 'comment'>;

export interface BacktestRequest {
  /** The range, [from, to), ISO-8601. */
  from: string;
  to: string;
  /** How long before `from` the replay starts, to learn what was firing and open when the range began. */
  warmupMinutes: number;
  service: string | null;
  rules: {
    /** Absent: each service's configured rule; null: none (each alert keeps its source's group); a rule: that rule for every service. */
    grouping?: GroupingRule | null;
    /** Silences proposed besides (or instead of) those on record. */
    silences: ProposedSilence[];
    /** Keep the silences on record (true), or replay as if there had been none. */
    recordedSilences: boolean;
    /** Absent: ingestion's default; null: no flapping detection. */
    flapping?: FlappingRule | null;
    /** Absent: each integration's setting. */
    autoResolve?: boolean;
  };
  /** How many proposed incidents to list. */
  incidentLimit: number;
  /** How many of the noisiest rules to list per side. */
  ruleLimit: number;
  /** Most facts to read before refusing (tests lower it). */
  maxFacts?: number;
}

const ALERT_EVENT_TYPES: Array<AlertGroupEvent['type']> = [
  'AlertTriggered',
  'AlertRepeated',
  'AlertAcknowledged',
  'AlertFlapping',
  'AlertSuppressed',
  'AlertResolved',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface FactRow {
  stream_id: string;
  stream_version: number;
  stream_type: string;
  type: string;
  data: Record<string, unknown>;
  actor: string | null;
  occurred_at: Date;
}

/**
 * The facts of [from, to) in commit order, through a cursor so that only a
 * page is held in flight and the events are scanned once, whatever plan the
 * server picks (there is no index on occurred_at: a keyset query restarted per
 * page could scan the log once per page). Alert facts of the integrations
 * given (all, when null), and every incident's closing and reopening. Rows are
 * taken as stored: none of these event types has an upcaster yet; one that
 * gets one must be upcast here too.
 */
const readFacts = async (
  tx: PoolClient,
  q: { from: string; to: string; groupStreamPrefixes: string[] | null; maxFacts: number },
): Promise<LoggedFact[]> => {
  await tx.query(
    `DECLARE backtest_facts NO SCROLL CURSOR FOR
     SELECT stream_id, stream_version, stream_type, type, data, metadata->'actor'->>'kind' AS actor, occurred_at
     FROM events
     WHERE occurred_at >= $1 AND occurred_at < $2
       AND ((stream_type = $3 AND type = ANY($4::text[])
             -- 'alert-group-<integration uuid>-': the stream's integration.
             AND ($5::text[] IS NULL OR left(stream_id, length('alert-group-') + 37) = ANY($5::text[])))
            OR (stream_type = 'incident' AND type IN ('IncidentResolved', 'IncidentReopened')))
     ORDER BY transaction_id, global_position`,
    [q.from, q.to, ALERT_GROUP_STREAM_TYPE, ALERT_EVENT_TYPES, q.groupStreamPrefixes],
  );
  const facts: LoggedFact[] = [];
  for (;;) {
    const { rows } = await tx.query<FactRow>(`FETCH ${PAGE} FROM backtest_facts`);
    for (const row of rows) {
      const at = row.occurred_at.toISOString();
      const position = { streamId: row.stream_id, version: row.stream_version, at };
      if (row.stream_type === ALERT_GROUP_STREAM_TYPE) {
        facts.push({
          ...position,
          kind: 'alert',
          event: { type: row.type, data: row.data } as AlertGroupEvent,
        });
      } else {
        facts.push({
          ...position,
          kind: 'incident',
          type: row.type as 'IncidentResolved' | 'IncidentReopened',
          incidentId: row.stream_id.slice('incident-'.length),
          byAlert: row.actor === 'alert',
        });
      }
    }
    if (facts.length > q.maxFacts) throw new BacktestTooLarge(q.maxFacts);
    if (rows.length < PAGE) break;
  }
  await tx.query(`CLOSE backtest_facts`);
  return facts;
};

/** The real incidents alerts went to. */
const realIncidentsOf = (facts: readonly LoggedFact[]) => {
  const ids = new Set<string>();
  for (const fact of facts) {
    if (fact.kind !== 'alert') continue;
    const { event } = fact;
    if (event.type === 'AlertTriggered' || event.type === 'AlertRepeated' || event.type === 'AlertResolved') {
      if (event.data.incidentId && UUID.test(event.data.incidentId)) ids.add(event.data.incidentId);
    }
  }
  return [...ids];
};

/**
 * Runs a backtest: reads the range's facts (and the configuration the rules
 * left unchanged fall back to) in one read-only snapshot, replays them in
 * memory, and answers both sides. Stores nothing.
 */
export const runBacktest = async (pool: Pool, request: BacktestRequest) => {
  const { from, to, service, rules } = request;
  const warmupFrom = new Date(Date.parse(from) - request.warmupMinutes * 60_000).toISOString();

  const read = await withTransaction(pool, async (tx) => {
    await tx.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    await tx.query(`SET LOCAL statement_timeout = '60s'`);
    const integrations = (
      await tx.query<{ id: string; service: string; auto_resolve: boolean }>(
        `SELECT id::text, service, auto_resolve FROM integrations`,
      )
    ).rows;
    const facts = await readFacts(tx, {
      from: warmupFrom,
      to,
      groupStreamPrefixes:
        service === null
          ? null
          : integrations.filter((i) => i.service === service).map((i) => `alert-group-${i.id}-`),
      maxFacts: request.maxFacts ?? MAX_BACKTEST_FACTS,
    });
    const configured =
      rules.grouping === undefined
        ? (
            await tx.query<{ service: string; group_by: string[]; window_minutes: number | null }>(
              `SELECT service, group_by, window_minutes FROM grouping_rules`,
            )
          ).rows
        : [];
    const recorded = rules.recordedSilences
      ? (
          await tx.query<{
            id: string;
            matchers: Matcher[];
            starts_at: Date;
            ends_at: Date;
            comment: string;
            created_by: string;
          }>(
            `SELECT id::text, matchers, starts_at, ends_at, comment, created_by FROM silences
             WHERE starts_at < $2 AND ends_at > $1 ORDER BY starts_at, id`,
            [warmupFrom, to],
          )
        ).rows
      : [];
    // Whether anyone acted on an incident is the alert-fatigue projection's judgement: asked of it, not redone.
    const actionable = (
      await tx.query<{ incident_id: string }>(
        `SELECT incident_id::text FROM alert_incidents WHERE actionable AND incident_id = ANY($1::uuid[])`,
        [realIncidentsOf(facts)],
      )
    ).rows.map((r) => r.incident_id);
    return { integrations, facts, configured, recorded, actionable };
  });

  const autoResolveOf = new Map(read.integrations.map((i) => [i.id, i.auto_resolve]));
  const configuredRules = new Map<string, GroupingRule>(
    read.configured.map((r) => [r.service, { groupBy: r.group_by, windowMinutes: r.window_minutes }]),
  );
  const recordedSilences: Silence[] = read.recorded.map((r) => ({
    id: r.id,
    matchers: r.matchers,
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    comment: r.comment,
    createdBy: r.created_by,
  }));
  const proposedSilences: Silence[] = rules.silences.map((s, i) => ({
    ...s,
    id: `proposed-${i + 1}`,
    createdBy: 'backtest',
  }));
  const flapping = rules.flapping === undefined ? DEFAULT_FLAPPING : (rules.flapping ?? NO_FLAPPING);
  const { grouping, autoResolve } = rules;

  const replay = new Backtest({
    from,
    to,
    service,
    facts: inLogOrder(read.facts),
    rules: {
      grouping: grouping === undefined ? (s) => configuredRules.get(s) ?? null : () => grouping,
      silences: [...recordedSilences, ...proposedSilences],
      flapping,
      autoResolve: autoResolve === undefined ? (id) => autoResolveOf.get(id) ?? true : () => autoResolve,
    },
    actionable: new Set(read.actionable),
    ruleLimit: request.ruleLimit,
  });
  // A full replay takes seconds of CPU: in slices, so the process's other requests (alerts) are not held up.
  while (!replay.step(STEP)) await new Promise((resolve) => setImmediate(resolve));
  const result = replay.result();

  return {
    range: { from, to },
    warmup: { from: warmupFrom, minutes: request.warmupMinutes },
    service,
    rules: {
      grouping: grouping === undefined ? 'configured' : grouping,
      silences: { recorded: recordedSilences.length, proposed: proposedSilences.length },
      flapping: rules.flapping === undefined ? { ...DEFAULT_FLAPPING } : rules.flapping,
      autoResolve: autoResolve ?? 'configured',
    },
    definitions: BACKTEST_DEFINITIONS,
    alerts: { factsRead: read.facts.length, replayed: result.replayed, carriedOver: result.carriedOver },
    actual: result.actual,
    proposed: result.proposed,
    difference: differenceOf(result.actual, result.proposed),
    incidents: result.incidents.slice(0, request.incidentLimit),
    incidentsTruncated: result.incidents.length > request.incidentLimit,
  };
};

export type BacktestReport = Awaited<ReturnType<typeof runBacktest>>;
