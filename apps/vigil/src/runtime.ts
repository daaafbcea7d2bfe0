import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import {
  AlertFatigueProjection,
  AlertIngestion,
  GroupingRules,
  Integrations,
  pruneDeliveryReceipts,
  RECEIPT_RETENTION_DAYS,
  Silences,
} from '#vigil/alerts';
import { ApiKeys, SystemClock, type Clock, type VigilConfig } from '#vigil/common';
import {
  CommandRunner,
  PostgresEventStore,
  SubscriptionRunner,
  UpcasterChain,
  type RecordedEvent,
} from '#vigil/event-store';
import { createEscalation, type EscalationRuntime } from '#vigil/escalation';
import { IncidentListProjection, IncidentTimelineProjection, incidentUpcasters } from '#vigil/incidents';
import { bindEscalation, OUTBOX_RETENTION_DAYS, pruneSlackOutbox, SlackRuntime } from '#vigil/slack';
import { CommitAnnouncer, CommitListener } from './database/commit-signals.js';
import { createDataSource, migrate, poolOf } from './database/data-source.js';
import type { DatabaseHandle } from './database/embedded-postgres.js';
import { VigilMetrics } from './observability/metrics.js';

/** Everything stateful a Vigil process holds: the database, the store, the workers. */
export interface Runtime {
  config: VigilConfig;
  log: Logger;
  clock: Clock;
  database: DatabaseHandle;
  dataSource: DataSource;
  pool: Pool;
  store: PostgresEventStore;
  commands: CommandRunner;
  subscriptions: SubscriptionRunner;
  apiKeys: ApiKeys;
  integrations: Integrations;
  silences: Silences;
  ingestion: AlertIngestion;
  groupingRules: GroupingRules;
  metrics: VigilMetrics;
  /** Users, schedules, policies and the escalation engine; its timers run in the worker role. */
  escalation: EscalationRuntime;
  /** The Slack app's client, ports, outbox and dispatcher; null when Slack is off. */
  slack: SlackRuntime | null;
  /** Subscribers to committed events inside this process (the CQRS EventBus is wired here). */
  committed: Set<(events: RecordedEvent[]) => void>;
  /** Says shutdown has begun: from now on, connections the database drops are expected. */
  beginShutdown(): void;
  close(): Promise<void>;
}

export const openDatabase = async (config: VigilConfig, log: Logger): Promise<DatabaseHandle> => {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  log.info({ dataDir: config.dataDir, port: config.embeddedPostgresPort }, 'starting embedded PostgreSQL');
  // Loaded only when used: the package installs signal handlers of its own on import.
  const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
  return startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPostgresPort,
    log: (m) => log.debug({ postgres: m }),
  });
};

export const createProjections = () => [
  new IncidentListProjection(),
  new IncidentTimelineProjection(),
  new AlertFatigueProjection(),
];

/**
 * Hourly in the worker role: delivery receipts and finished Slack outbox rows past their
 * retention go, so neither table grows with traffic for ever.
 */
const pruneOldRows = async (runtime: Runtime) => {
  const now = runtime.clock.now().getTime();
  const day = 24 * 3600_000;
  try {
    const receipts = await pruneDeliveryReceipts(runtime.pool, new Date(now - RECEIPT_RETENTION_DAYS * day));
    const outbox = await pruneSlackOutbox(runtime.pool, new Date(now - OUTBOX_RETENTION_DAYS * day));
    if (receipts + outbox > 0)
      runtime.log.info({ receipts, outbox }, 'pruned old delivery receipts and outbox rows');
  } catch (err) {
    runtime.log.error({ err }, 'pruning old rows failed; the next hour tries again');
  }
};

export const startRuntime = async (
  config: VigilConfig,
  log: Logger,
  options: { clock?: Clock; database?: DatabaseHandle } = {},
): Promise<Runtime> => {
  const database = options.database ?? (await openDatabase(config, log));
  const dataSource = createDataSource(database.url, config.databasePoolSize);
  await dataSource.initialize();
  const applied = await migrate(dataSource);
  if (applied.length > 0) log.info({ migrations: applied }, 'applied migrations');
  const pool = poolOf(dataSource);
  let closing = false;
  pool.on('error', (err) => {
    if (!closing) log.warn({ err }, 'idle database connection failed');
  });

  // The lag gauge asks the subscriptions only when scraped, after they exist.
  const metrics = new VigilMetrics(() => subscriptions.lag());
  const store = new PostgresEventStore(pool, {
    upcasters: new UpcasterChain(incidentUpcasters),
    onAppended: (n) => metrics.eventsAppended.inc(n),
  });
  const committed = new Set<(events: RecordedEvent[]) => void>();
  const publish = (events: RecordedEvent[]) => {
    subscriptions.nudge(events);
    for (const listener of committed) listener(events);
  };
  const commands = new CommandRunner(store, publish);
  const silences = new Silences(pool);
  const clock = options.clock ?? new SystemClock();
  const slack = config.slack ? new SlackRuntime(config.slack, { pool, store, commands, clock, log }) : null;
  if (slack === null) log.info('Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on');
  const groupingRules = new GroupingRules(pool);
  const escalation = createEscalation({
    pool,
    store,
    commands,
    clock,
    publish,
    hooks: {
      stepFired: (trigger, latenessMs) => {
        metrics.escalationSteps.inc({ trigger });
        if (trigger !== 'manual') metrics.escalationLateness.observe(latenessMs / 1000);
      },
      repaired: (kind, count) => {
        metrics.escalationAuditRepairs.inc({ kind }, count);
        log.warn({ kind, count }, 'escalation auditor advanced stalled escalations');
      },
      error: (message, err) => log.error({ err }, message),
    },
  });
  // One round of the worker's subscriptions reads the log once for the read models, the
  // escalation starter and the Slack outbox. First steps the starter arms fire as soon as the round
  // commits; outbox rows it writes go to the dispatcher then.
  const subscriptions = new SubscriptionRunner(
    pool,
    store,
    [...createProjections(), escalation.engine.starter, ...(slack ? [slack.projection] : [])],
    {
      batchSize: 5000,
      idlePollMs: config.subscriptionPollMs,
      roundGapMs: config.roundGapMs,
      onError: (name, err) => log.error({ err, subscription: name }, 'projection failed; retrying'),
    },
  );
  escalation.engine.catchUpWith = () => subscriptions.catchUpAll();
  // /incident escalate, oncall and page, the Escalate button, and Slack users as Vigil users.
  if (slack !== null) bindEscalation(slack, escalation, pool);

  const ingestion = new AlertIngestion(pool, store, silences, groupingRules, publish, {
    onKnown: (by) => metrics.ingestKnownPayloads.inc({ by }),
    onBehind: () => metrics.ingestBatchesBehind.inc(),
    onRetry: () => metrics.ingestBatchRetries.inc(),
    onBatch: (deliveries, seconds) => {
      metrics.ingestBatchDeliveries.observe(deliveries);
      metrics.ingestBatchDuration.observe(seconds);
    },
  });
  committed.add((events) => ingestion.noteCommitted(events));
  // Processes apart: one without the worker role tells the workers of its commits; a worker hears
  // them and looks at once, as it does for its own.
  if (!config.roles.worker) {
    const announcer = new CommitAnnouncer(pool, log);
    committed.add(() => announcer.announce());
  }
  const listener = config.roles.worker
    ? new CommitListener(database.url, log, () => subscriptions.nudge())
    : null;

  let retention: ScheduledTask | null = null;
  const runtime: Runtime = {
    config,
    log,
    clock,
    database,
    dataSource,
    pool,
    store,
    commands,
    subscriptions,
    apiKeys: new ApiKeys(pool),
    integrations: new Integrations(pool),
    silences,
    groupingRules,
    ingestion,
    metrics,
    escalation,
    slack,
    committed,
    beginShutdown() {
      closing = true;
    },
    async close() {
      closing = true;
      await retention?.destroy();
      await listener?.stop();
      await slack?.stop();
      await escalation.worker.stop();
      await subscriptions.stop();
      await ingestion.close();
      await dataSource.destroy();
      await database.stop();
    },
  };
  if (config.roles.worker) {
    // Slack first: it sets the outbox's first checkpoint before the round can take it from the start.
    await slack?.start();
    await subscriptions.start();
    escalation.worker.start();
    await listener?.start();
    retention = cron.schedule('0 17 * * * *', () => pruneOldRows(runtime));
  }
  return runtime;
};
