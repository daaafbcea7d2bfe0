import { randomUUID } from 'node:crypto';
import type { Clock } from '#vigil/common';
import { startTestApp, type CallResult, type TestApp } from '../support/app.js';
import { testPool } from '../support/database.js';
import {
  buttonClickBody,
  slackHeaders,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from '../support/fake-slack.js';
import { waitFor } from '../support/wait-for.js';

export const SIGNING_SECRET = 'vigil-test-signing-secret';

export interface SlackTestApp {
  t: TestApp;
  fake: FakeSlack;
  /** Posts a signed slash command; `responseId` names its response URL on the fake. */
  command(
    text: string,
    options?: CommandOptions,
  ): Promise<CallResult & { responseId: string; triggerId: string }>;
  /** What Vigil posted to a command's response URL. */
  responseTo(
    responseId: string,
    timeoutMs?: number,
  ): Promise<{ response_type?: string; text: string; blocks?: any[] }>;
  click(options: {
    actionId: string;
    value: string;
    channelId: string;
    messageTs: string;
    userId?: string;
    /** Unix seconds to sign with (a test on a manual clock signs at its time). */
    timestamp?: number;
  }): Promise<CallResult & { responseId: string }>;
  postSigned(path: string, body: string, options?: SignOptions): Promise<CallResult>;
  /** The incident a `declare` with this trigger id opened. */
  incidentDeclaredBy(triggerId: string): Promise<string>;
  events(incidentId: string): Promise<Array<{ type: string; data: any; metadata: any; version: number }>>;
  /** The Slack settings, for another Vigil process against the same fake. */
  env: Record<string, string>;
  /** Stops this Vigil process and starts another on the same database and fake Slack; `whileDown` runs between. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface SignOptions {
  timestamp?: number;
  retryNum?: number;
  contentType?: string;
  secret?: string;
}

export interface CommandOptions extends SignOptions {
  userId?: string;
  userName?: string;
  channelId?: string;
  triggerId?: string;
}

/**
 * Vigil with Slack on, against a fresh fake Slack. The outbox subscription starts at the end of
 * the log, and rows an earlier test file left pending are set aside, so each file sees only
 * its own Slack calls.
 */
export const startSlackTestApp = async (
  /** `socketMode`: SLACK_APP_TOKEN is set, so Vigil connects to the fake's Socket Mode WebSocket. */
  options: { env?: Record<string, string>; clock?: Clock; socketMode?: boolean } = {},
): Promise<SlackTestApp> => {
  const fake = await startFakeSlack();
  const pool = testPool(1);
  try {
    await pool.query(`DELETE FROM subscription_checkpoints WHERE subscription_name = 'slack-outbox@1'`);
    await pool.query(
      `UPDATE slack_outbox SET status = 'failed', last_error = 'left by an earlier test file' WHERE status = 'pending'`,
    );
  } finally {
    await pool.end();
  }
  const env = {
    SLACK_BOT_TOKEN: fake.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...(options.socketMode ? { SLACK_APP_TOKEN: fake.appToken } : {}),
    ...options.env,
  };
  const start = () => startTestApp({ env, ...(options.clock ? { clock: options.clock } : {}) });
  let t = await start();

  const postSigned = (path: string, body: string, o: SignOptions = {}) =>
    t.call('POST', path, {
      key: null,
      rawBody: body,
      headers: slackHeaders(o.secret ?? SIGNING_SECRET, body, o),
    });

  return {
    get t() {
      return t;
    },
    fake,
    env,
    postSigned,
    async restart(whileDown) {
      await t.close();
      await whileDown?.();
      t = await start();
    },
    async command(text, o = {}) {
      const responseId = randomUUID();
      const triggerId = o.triggerId ?? `${Date.now()}.${randomUUID()}`;
      const body = slashCommandBody({
        text,
        responseUrl: fake.responseUrl(responseId),
        triggerId,
        ...(o.userId ? { userId: o.userId } : {}),
        ...(o.userName ? { userName: o.userName } : {}),
        ...(o.channelId ? { channelId: o.channelId } : {}),
      });
      const res = await postSigned('/slack/commands', body, o);
      return { ...res, responseId, triggerId };
    },
    responseTo: (responseId, timeoutMs = 5000) =>
      waitFor(
        () => fake.responses.find((r) => r.id === responseId)?.body,
        `the response to ${responseId}`,
        timeoutMs,
      ),
    async click(o) {
      const responseId = randomUUID();
      const body = buttonClickBody({ ...o, responseUrl: fake.responseUrl(responseId) });
      const sign = o.timestamp === undefined ? {} : { timestamp: o.timestamp };
      return { ...(await postSigned('/slack/interactions', body, sign)), responseId };
    },
    async incidentDeclaredBy(triggerId) {
      const row = await waitFor(
        async () =>
          (
            await t.runtime.pool.query<{ stream_id: string }>(
              `SELECT stream_id FROM events WHERE type = 'IncidentOpened' AND metadata->>'correlationId' = $1`,
              [`slack:${triggerId}`],
            )
          ).rows[0],
        `the incident declared by ${triggerId}`,
      );
      return row.stream_id.slice('incident-'.length);
    },
    async events(incidentId) {
      const res = await t.call('GET', `/v1/incidents/${incidentId}/events`);
      if (res.status !== 200)
        throw new Error(`events of ${incidentId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.items;
    },
    async close() {
      await t.close();
      await fake.close();
    },
  };
};

/** Counts the rows of the events table: a refused request must append nothing. */
export const countEvents = async (t: TestApp): Promise<number> =>
  Number((await t.runtime.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events`)).rows[0]!.n);
