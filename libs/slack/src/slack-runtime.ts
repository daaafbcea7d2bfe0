import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Clock, SlackConfig } from '#vigil/common';
import type { CommandRunner, PostgresEventStore } from '#vigil/event-store';
import { incidentDecider, incidentStreamId, type OpenedIncident } from '#vigil/incidents';
import { cardOf, type IncidentCard } from './domain/blocks.js';
import type { RetryPolicy } from './domain/retry.js';
import { SlackDispatcher } from './outbox/slack-dispatcher.js';
import { SLACK_OUTBOX_SUBSCRIPTION, SlackOutboxProjection } from './outbox/slack-outbox.projection.js';
import {
  EscalationNotConfigured,
  NoSlackUsers,
  type EscalationPort,
  type SlackUserLookup,
} from './ports/ports.js';

export interface SlackRuntimeDeps {
  pool: Pool;
  store: PostgresEventStore;
  commands: CommandRunner;
  clock: Clock;
  log: Logger;
}

export interface SlackRuntimeOptions {
  /** How often the dispatcher looks for work from other processes. */
  idlePollMs?: number;
  retryPolicy?: RetryPolicy;
  concurrency?: number;
}

/** @slack/web-api's logger interface over pino. */
const slackLogger = (log: Logger): SlackLogger => {
  const child = log.child({ component: 'slack-web-api' });
  let level: LogLevel = LogLevel.WARN;
  return {
    debug: (...m: unknown[]) => child.debug(m.join(' ')),
    info: (...m: unknown[]) => child.debug(m.join(' ')),
    // The dispatcher logs what it does about a failed call; the client's own warnings repeat it.
    warn: (...m: unknown[]) => child.debug(m.join(' ')),
    error: (...m: unknown[]) => child.error(m.join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
};

/**
 * The Slack app's stateful half, built once per process when Slack is on: the Web API client
 * (retries off, so the outbox decides), the ports to users and escalation, the outbox projection
 * (run by the worker's subscription round) and, in the worker role, its dispatcher. The HTTP half
 * (Bolt) is SlackModule.
 */
export class SlackRuntime {
  readonly client: WebClient;
  /** Replaced when the escalation lib's Users is bound (it answers bySlackId and byId). */
  users: SlackUserLookup = new NoSlackUsers();
  /** Replaced when the escalation lib's Escalations is bound. */
  escalation: EscalationPort = new EscalationNotConfigured();
  /** Run by the worker's subscription round (see `start`); wakes the dispatcher once its rows commit. */
  readonly projection: SlackOutboxProjection;
  readonly dispatcher: SlackDispatcher;
  private running = false;

  constructor(
    readonly config: SlackConfig,
    private readonly deps: SlackRuntimeDeps,
    options: SlackRuntimeOptions = {},
  ) {
    this.client = new WebClient(config.botToken, {
      slackApiUrl: config.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 10_000,
      logger: slackLogger(deps.log),
    });
    this.projection = new SlackOutboxProjection(config.channelSeverities, deps.clock, () =>
      this.dispatcher.wake(),
    );
    this.dispatcher = new SlackDispatcher(
      {
        pool: deps.pool,
        slack: this.client,
        clock: deps.clock,
        log: deps.log.child({ component: 'slack-outbox' }),
        users: () => this.users,
        loadCard: (id) => this.loadCard(id),
      },
      {
        idlePollMs: options.idlePollMs ?? 250,
        ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      },
    );
  }

  /** The incident folded from its stream (never from a read model, which may lag). */
  async loadIncident(
    incidentId: string,
  ): Promise<{ state: OpenedIncident; version: number; card: IncidentCard } | null> {
    const { state, version, events } = await this.deps.commands.load(
      incidentDecider,
      incidentStreamId(incidentId),
    );
    if (state.status === 'none') return null;
    return { state, version, card: cardOf(state, version, events) };
  }

  /** The incident as it was at `version` (what a message rendered then showed). */
  async loadIncidentAt(incidentId: string, version: number): Promise<OpenedIncident | null> {
    const { state } = await this.deps.commands.load(incidentDecider, incidentStreamId(incidentId), version);
    return state.status === 'none' ? null : state;
  }

  async loadCard(incidentId: string): Promise<IncidentCard | null> {
    return (await this.loadIncident(incidentId))?.card ?? null;
  }

  /**
   * Worker role: starts the dispatcher. The outbox projection runs in the worker's subscription
   * round, which must start after this: a first start sets its checkpoint at the end of the log,
   * so turning Slack on never pages anyone about history.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.deps.pool.query(
      `INSERT INTO subscription_checkpoints (subscription_name, transaction_id, global_position)
       SELECT $1, (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text::xid8, 9223372036854775807
       ON CONFLICT (subscription_name) DO NOTHING`,
      [SLACK_OUTBOX_SUBSCRIPTION],
    );
    this.dispatcher.start();
    this.client.auth.test().then(
      (who) => this.deps.log.info({ team: who.team, user: who.user }, 'Slack is on'),
      (err: unknown) =>
        this.deps.log.warn({ err }, 'Slack is on, but auth.test failed; check SLACK_BOT_TOKEN'),
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.dispatcher.stop();
  }
}
