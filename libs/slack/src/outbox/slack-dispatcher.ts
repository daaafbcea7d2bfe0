import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { WebClient } from '@slack/web-api';
import type { Clock } from '#vigil/common';
import { RecentMap, Wakeup } from '#vigil/event-store';
import {
  channelNameOf,
  incidentMessage,
  topicOf,
  type IncidentCard,
  type PersonFormatter,
} from '../domain/blocks.js';
import type { ActorRef, SlackAction } from '../domain/outbox-plan.js';
import {
  afterFailure,
  classifyPlatformError,
  DEFAULT_RETRY_POLICY,
  describeOutcome,
  type FailedCall,
  type RetryPolicy,
} from '../domain/retry.js';
import { personFormatterFor } from '../ports/people.js';
import type { SlackUserLookup } from '../ports/ports.js';

interface OutboxRow {
  id: string;
  event_id: string;
  action: SlackAction['action'];
  incident_id: string;
  payload: SlackAction;
  attempts: number;
}

type Done = { status: 'sent' | 'skipped'; result?: Record<string, unknown> };

export interface SlackDispatcherOptions {
  /** Rows sent at once (each holds a pooled connection only for its short statements). */
  concurrency?: number;
  /** How long a claimed row stays claimed; far longer than a call can take (the client times out at 10 s). */
  leaseMs?: number;
  /** How often idle lanes look for due rows (rows written by this process wake them at once). */
  idlePollMs?: number;
  retryPolicy?: RetryPolicy;
}

export interface SlackDispatcherDeps {
  pool: Pool;
  slack: WebClient;
  clock: Clock;
  log: Logger;
  users: () => SlackUserLookup;
  loadCard: (incidentId: string) => Promise<IncidentCard | null>;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** Errors of one message or invitation among several that must not hold the others back. */
const IGNORABLE_UPDATE_ERRORS = new Set([
  'message_not_found',
  'cant_update_message',
  'channel_not_found',
  'is_archived',
]);
/** What posting to a DM channel remembered from an earlier page answers if that channel is gone. */
const STALE_DM_ERRORS = new Set(['channel_not_found', 'is_archived']);
const IGNORABLE_INVITE_ERRORS = new Set([
  'already_in_channel',
  'cant_invite_self',
  'user_not_found',
  'cant_invite',
  'user_is_restricted',
  'ura_max_channels',
]);

/** Topics are plain text: a mention shows as @U…, a name as itself. */
const topicFor = (card: IncidentCard, person: PersonFormatter): string =>
  topicOf(
    card,
    card.roles.commander === null
      ? null
      : person(card.roles.commander)
          .replace(/^<@(.*)>$/, '@$1')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
  );

const platformError = (error: unknown): string | null => {
  const e = error as { code?: string; data?: { error?: unknown } };
  return e.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string' ? e.data.error : null;
};

/** How a failed @slack/web-api call ended (the client never retries: `retries: 0`, rate-limited calls rejected). */
export const outcomeOf = (error: unknown): FailedCall => {
  const e = error as { code?: string; retryAfter?: number; statusCode?: number; message?: string };
  if (e.code === 'slack_webapi_rate_limited_error') {
    return { kind: 'rate-limited', retryAfterSeconds: typeof e.retryAfter === 'number' ? e.retryAfter : 1 };
  }
  if (e.code === 'slack_webapi_http_error') {
    return (e.statusCode ?? 500) >= 500
      ? { kind: 'transient', detail: `HTTP ${e.statusCode}` }
      : { kind: 'rejected', detail: `HTTP ${e.statusCode}` };
  }
  if (e.code === 'slack_webapi_platform_error')
    return classifyPlatformError(platformError(error) ?? 'unknown_error');
  if (e.code === 'slack_webapi_request_error') {
    return { kind: 'transient', detail: `request failed: ${e.message ?? 'network error'}` };
  }
  // A bug of ours, or a database hiccup: retried with backoff, and given up in the end.
  return { kind: 'transient', detail: e.message ?? String(error) };
};

/**
 * Sends the Slack outbox. Each lane claims the oldest due row whose incident has no earlier
 * pending row (so one incident's Slack calls keep the log's order, while incidents proceed in
 * parallel), with `FOR UPDATE SKIP LOCKED` in a one-statement transaction that leases it; calls
 * Slack; then marks it sent, reschedules it (Retry-After on 429, exponential backoff on 5xx and
 * network errors) or gives it up.
 *
 * Why a lease and not a lock held across the call: a row lock gives the transaction an xid, and
 * the event store's subscriptions read only below the oldest running xid, so holding one while
 * Slack answers would stall every projection for as long as Slack takes.
 *
 * The remaining crash window: a process that dies after Slack accepted a post and before the
 * post's ts (or the row's `sent`) is written leaves the row pending, and it is sent again once
 * the lease expires. Updates, topics and invitations are idempotent; a new message may repeat.
 * Everything else is exactly once: a row is sent by one lane at a time, and every message Vigil
 * posted is recorded with the row that posted it, so a retried row edits rather than reposts.
 */
export class SlackDispatcher {
  private running = false;
  private lanes: Promise<void>[] = [];
  private readonly wakeup = new Wakeup();
  /** DM channels by Slack user (see dmChannelOf). */
  private readonly dmChannels = new RecentMap<string>(10_000);
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly deps: SlackDispatcherDeps,
    options: SlackDispatcherOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 4;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.idlePollMs = options.idlePollMs ?? 250;
    this.policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lanes = Array.from({ length: this.concurrency }, () => this.lane());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await Promise.all(this.lanes);
  }

  /** Wakes idle lanes now (new rows were just committed). */
  wake(): void {
    this.wakeup.wake();
  }

  /** Sends every due row, one after another; answers how many were handled. */
  async drain(): Promise<number> {
    let handled = 0;
    while (await this.sendOne()) handled++;
    return handled;
  }

  private async lane(): Promise<void> {
    while (this.running) {
      // Rows committed while this lane's claim ran wake it again at once, not after a poll.
      const mark = this.wakeup.mark();
      try {
        if (await this.sendOne()) continue;
        await this.wakeup.sleep(this.idlePollMs, mark);
      } catch (error) {
        this.deps.log.error({ err: error }, 'Slack outbox: a lane failed; retrying');
        await this.wakeup.sleep(1000, this.wakeup.mark());
      }
    }
  }

  /** Claims one due row and handles it; false when nothing is due. */
  async sendOne(): Promise<boolean> {
    const now = this.deps.clock.now();
    const leaseId = randomUUID();
    const { rows } = await this.deps.pool.query<OutboxRow>(
      `UPDATE slack_outbox o SET lease_id = $2, lease_until = $3, attempts = o.attempts + 1
       WHERE o.id = (
         SELECT c.id FROM slack_outbox c
         WHERE c.status = 'pending' AND c.due_at <= $1 AND (c.lease_until IS NULL OR c.lease_until < $1)
           AND NOT EXISTS (SELECT 1 FROM slack_outbox p
                           WHERE p.incident_id = c.incident_id AND p.status = 'pending' AND p.id < c.id)
         ORDER BY c.id LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING o.id, o.event_id, o.action, o.incident_id, o.payload, o.attempts`,
      [now, leaseId, new Date(now.getTime() + this.leaseMs)],
    );
    const row = rows[0];
    if (!row) return false;
    try {
      const done = await this.execute(row);
      await this.settle(row, leaseId, {
        status: done.status,
        result: done.result ?? null,
        error: null,
        dueAt: null,
      });
    } catch (error) {
      const outcome = outcomeOf(error);
      const decision = afterFailure(outcome, row.attempts, this.policy);
      const log = {
        outboxId: row.id,
        action: row.action,
        incidentId: row.incident_id,
        attempts: row.attempts,
      };
      if (decision.retry) {
        this.deps.log.info(
          { ...log, retryInMs: decision.delayMs, outcome: describeOutcome(outcome) },
          'Slack call will be retried',
        );
        await this.settle(row, leaseId, {
          status: 'pending',
          result: null,
          error: describeOutcome(outcome),
          dueAt: new Date(this.deps.clock.now().getTime() + decision.delayMs),
        });
      } else {
        this.deps.log.error({ ...log, reason: decision.reason }, 'Slack call given up');
        await this.settle(row, leaseId, {
          status: 'failed',
          result: null,
          error: decision.reason,
          dueAt: null,
        });
      }
    }
    return true;
  }

  private async settle(
    row: OutboxRow,
    leaseId: string,
    to: {
      status: 'sent' | 'skipped' | 'pending' | 'failed';
      result: unknown;
      error: string | null;
      dueAt: Date | null;
    },
  ): Promise<void> {
    const { rowCount } = await this.deps.pool.query(
      `UPDATE slack_outbox
       SET status = $3, result = $4, last_error = $5, due_at = coalesce($6, due_at),
           lease_id = NULL, lease_until = NULL, done_at = CASE WHEN $3 = 'pending' THEN NULL ELSE $7::timestamptz END
       WHERE id = $1 AND lease_id = $2`,
      [
        row.id,
        leaseId,
        to.status,
        to.result === null ? null : JSON.stringify(to.result),
        to.error,
        to.dueAt,
        this.deps.clock.now(),
      ],
    );
    if (rowCount === 0) {
      this.deps.log.warn({ outboxId: row.id }, 'Slack outbox: the lease ran out before the row was settled');
    }
  }

  private execute(row: OutboxRow): Promise<Done> {
    const action = row.payload;
    switch (action.action) {
      case 'channel.create':
        return this.createChannel(row, action.openedBy);
      case 'page.send':
        return this.sendPage(row, action);
      case 'channel.invite':
        return this.invite(row.incident_id, action.slackUserIds);
      case 'incident.refresh':
        return this.refresh(row);
      case 'channel.post':
        return this.post(row.incident_id, action.text);
    }
  }

  private async channelOf(incidentId: string): Promise<string | null> {
    const { rows } = await this.deps.pool.query<{ channel_id: string | null }>(
      `SELECT channel_id FROM slack_incidents WHERE incident_id = $1`,
      [incidentId],
    );
    return rows[0]?.channel_id ?? null;
  }

  private personFormatter(card: IncidentCard): Promise<PersonFormatter> {
    return personFormatterFor(card, this.deps.users());
  }

  private async slackIdOf(actor: ActorRef | null): Promise<string | null> {
    if (actor === null) return null;
    if (actor.kind === 'slack' && SLACK_USER_ID.test(actor.id)) return actor.id;
    if (actor.kind !== 'user') return null;
    const user = await this.deps
      .users()
      .byId(actor.id)
      .catch(() => null);
    return user?.slackUserId ?? null;
  }

  /** Creates the channel, posts its status message, sets its topic and invites; each step recorded, so a retry resumes. */
  private async createChannel(row: OutboxRow, openedBy: ActorRef | null): Promise<Done> {
    const { slack, pool } = this.deps;
    const card = await this.deps.loadCard(row.incident_id);
    if (card === null) return { status: 'skipped', result: { reason: 'incident not found' } };
    let channel = await this.channelOf(row.incident_id);
    if (channel === null) {
      const name = channelNameOf(card.id, card.title);
      let created;
      try {
        created = await slack.conversations.create({ name });
      } catch (error) {
        if (platformError(error) !== 'name_taken') throw error;
        // Someone's channel has the name: take a variant rather than no channel.
        created = await slack.conversations.create({
          name: `${name.slice(0, 75)}-${randomBytes(2).toString('hex')}`,
        });
      }
      channel = created.channel?.id ?? null;
      if (channel === null) throw new Error('conversations.create answered no channel id');
      await pool.query(
        `INSERT INTO slack_incidents (incident_id, channel_wanted, channel_id, channel_name) VALUES ($1, true, $2, $3)
         ON CONFLICT (incident_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, channel_name = EXCLUDED.channel_name`,
        [row.incident_id, channel, created.channel?.name ?? null],
      );
    }
    const person = await this.personFormatter(card);
    const { rows: status } = await pool.query(
      `SELECT 1 FROM slack_messages WHERE incident_id = $1 AND kind = 'status'`,
      [row.incident_id],
    );
    if (status.length === 0) {
      const message = incidentMessage(card, { kind: 'channel', person });
      const posted = await slack.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
      await this.remember(row, channel, posted.ts, 'status', null);
    }
    await slack.conversations.setTopic({ channel, topic: topicFor(card, person) });
    const { rows: paged } = await pool.query<{ slack_user_id: string }>(
      `SELECT DISTINCT payload->>'slackUserId' AS slack_user_id FROM slack_outbox
       WHERE incident_id = $1 AND action = 'page.send' AND payload->>'slackUserId' IS NOT NULL`,
      [row.incident_id],
    );
    const invitees = new Set(paged.map((p) => p.slack_user_id));
    const opener = await this.slackIdOf(openedBy);
    if (opener !== null) invitees.add(opener);
    await this.inviteTo(channel, [...invitees]);
    return { status: 'sent', result: { channel } };
  }

  private async sendPage(row: OutboxRow, page: Extract<SlackAction, { action: 'page.send' }>): Promise<Done> {
    const { slack, pool } = this.deps;
    // Only a row claimed before (its worker died after posting) can have posted already.
    if (row.attempts > 1) {
      const { rows: already } = await pool.query<{ channel_id: string; ts: string }>(
        `SELECT channel_id, ts FROM slack_messages WHERE outbox_id = $1`,
        [row.id],
      );
      if (already[0])
        return { status: 'sent', result: { channel: already[0].channel_id, ts: already[0].ts } };
    }
    const card = await this.deps.loadCard(row.incident_id);
    if (card === null) return { status: 'skipped', result: { reason: 'incident not found' } };
    const dm = page.channelId === null ? page.slackUserId! : null;
    const remembered = dm !== null && this.dmChannels.peek(dm) !== undefined;
    let channel = dm === null ? page.channelId! : await this.dmChannelOf(dm);
    // The page shows the incident as it is now, so a page sent late never offers a stale Acknowledge.
    const message = incidentMessage(card, {
      kind: 'page',
      level: page.level,
      person: await this.personFormatter(card),
    });
    const post = () => slack.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
    let posted;
    try {
      posted = await post();
    } catch (error) {
      // A DM channel remembered from an earlier page may be gone: it is opened again, once. One
      // just opened is not, and is not remembered either.
      if (dm === null || !STALE_DM_ERRORS.has(platformError(error) ?? '')) throw error;
      this.dmChannels.delete(dm);
      if (!remembered) throw error;
      channel = await this.dmChannelOf(dm);
      posted = await post();
    }
    await this.remember(row, channel, posted.ts, 'page', page.level);
    return { status: 'sent', result: { channel, ts: posted.ts } };
  }

  /**
   * The DM channel with a Slack user: opened once, then remembered. A storm of pages to the same
   * on-call person costs one conversations.open (a rate-limited method), not one a page.
   */
  private async dmChannelOf(slackUserId: string): Promise<string> {
    const known = this.dmChannels.get(slackUserId);
    if (known !== undefined) return known;
    const opened = await this.deps.slack.conversations.open({ users: slackUserId });
    const channel = opened.channel?.id;
    if (channel === undefined) throw new Error('conversations.open answered no channel id');
    this.dmChannels.set(slackUserId, channel);
    return channel;
  }

  private async remember(
    row: OutboxRow,
    channel: string,
    ts: string | undefined,
    kind: 'page' | 'status',
    level: number | null,
  ) {
    if (!ts) throw new Error('chat.postMessage answered no ts');
    await this.deps.pool.query(
      `INSERT INTO slack_messages (channel_id, ts, incident_id, kind, level, outbox_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [channel, ts, row.incident_id, kind, level, row.id],
    );
  }

  private async invite(incidentId: string, slackUserIds: string[]): Promise<Done> {
    const channel = await this.channelOf(incidentId);
    if (channel === null) return { status: 'skipped', result: { reason: 'no channel' } };
    await this.inviteTo(channel, slackUserIds);
    return { status: 'sent', result: { channel } };
  }

  private async inviteTo(channel: string, slackUserIds: string[]): Promise<void> {
    if (slackUserIds.length === 0) return;
    try {
      await this.deps.slack.conversations.invite({ channel, users: slackUserIds.join(',') });
    } catch (error) {
      const code = platformError(error);
      if (code === null || !IGNORABLE_INVITE_ERRORS.has(code)) throw error;
    }
  }

  /**
   * Re-renders every message of the incident and the channel topic from the incident as it is
   * now. Later pending refreshes of the incident (their events are already in what was loaded)
   * are marked superseded, so a burst of changes costs one round of updates.
   */
  private async refresh(row: OutboxRow): Promise<Done> {
    const { slack, pool } = this.deps;
    const { rows: later } = await pool.query<{ max: string | null }>(
      `SELECT max(id) AS max FROM slack_outbox WHERE incident_id = $1 AND action = 'incident.refresh' AND status = 'pending'`,
      [row.incident_id],
    );
    const card = await this.deps.loadCard(row.incident_id);
    if (card === null) return { status: 'skipped', result: { reason: 'incident not found' } };
    const { rows: messages } = await pool.query<{
      channel_id: string;
      ts: string;
      kind: 'page' | 'status';
      level: number | null;
    }>(`SELECT channel_id, ts, kind, level FROM slack_messages WHERE incident_id = $1 ORDER BY created_at`, [
      row.incident_id,
    ]);
    const person = await this.personFormatter(card);
    let updated = 0;
    for (const m of messages) {
      const message = incidentMessage(card, {
        kind: m.kind === 'page' ? 'page' : 'channel',
        person,
        ...(m.kind === 'page' ? { level: m.level } : {}),
      });
      try {
        await slack.chat.update({
          channel: m.channel_id,
          ts: m.ts,
          text: message.text,
          blocks: message.blocks,
        });
        updated++;
      } catch (error) {
        const code = platformError(error);
        if (code === null || !IGNORABLE_UPDATE_ERRORS.has(code)) throw error;
      }
    }
    const channel = await this.channelOf(row.incident_id);
    if (channel !== null) await slack.conversations.setTopic({ channel, topic: topicFor(card, person) });
    if (later[0]?.max) {
      await pool.query(
        `UPDATE slack_outbox SET status = 'superseded', done_at = $4
         WHERE incident_id = $1 AND action = 'incident.refresh' AND status = 'pending' AND id > $2 AND id <= $3`,
        [row.incident_id, row.id, later[0].max, this.deps.clock.now()],
      );
    }
    if (updated === 0 && channel === null)
      return { status: 'skipped', result: { reason: 'nothing posted yet' } };
    return { status: 'sent', result: { updated, topic: channel !== null } };
  }

  private async post(incidentId: string, text: string): Promise<Done> {
    const channel = await this.channelOf(incidentId);
    if (channel === null) return { status: 'skipped', result: { reason: 'no channel' } };
    const posted = await this.deps.slack.chat.postMessage({
      channel,
      text,
      unfurl_links: false,
      unfurl_media: false,
    });
    return { status: 'sent', result: { channel, ts: posted.ts ?? null } };
  }
}
