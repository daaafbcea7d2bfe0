import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type CallResult } from '../support/app.js';
import { testPool } from '../support/database.js';
import { appMentionEvent, slackHeaders, slashCommandBody } from '../support/fake-slack.js';
import { countEvents, SIGNING_SECRET, startSlackTestApp, type SlackTestApp } from './slack-support.js';
import { waitFor } from '../support/wait-for.js';

const isProblem = (res: CallResult, status: number, slug?: string) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  if (slug) assert.equal(res.body.type, `https://vigil.dev/problems/${slug}`);
};

describe('Slack: signed requests, replays and retries', () => {
  let s: SlackTestApp;
  before(async () => {
    s = await startSlackTestApp();
  });
  after(() => s.close());

  const now = () => Math.floor(Date.now() / 1000);

  /** A note on a fresh incident, as a form body whose response URL is `responseId`. */
  const noteBody = async (responseId: string, triggerId = randomUUID()) => {
    const res = await s.t.call('POST', '/v1/incidents', {
      body: { title: 'Signed requests', severity: 'SEV4', service: 'slack-security' },
    });
    assert.equal(res.status, 201);
    const id = res.body.id as string;
    const body = slashCommandBody({
      text: `note #${id} signed`,
      responseUrl: s.fake.responseUrl(responseId),
      triggerId,
    });
    return { id, body };
  };

  const notes = async (id: string) =>
    (await s.events(id)).filter((e) => e.type === 'IncidentNoteAdded').length;

  it('refuses forged, altered, stale, future and malformed signatures with 401, appending nothing', async () => {
    const responseId = randomUUID();
    const { id, body } = await noteBody(responseId);
    const before = await countEvents(s.t);
    // 302 s, not 301: whole seconds on both sides, and the request may cross a second boundary
    // (the exact edge is the unit tests' business).
    const refused: Array<[string, Record<string, string>, string?]> = [
      ['wrong secret', slackHeaders('not-the-secret', body)],
      ['body changed by one byte', slackHeaders(SIGNING_SECRET, body), `${body}x`],
      ['302 s old', slackHeaders(SIGNING_SECRET, body, { timestamp: now() - 302 })],
      ['302 s ahead', slackHeaders(SIGNING_SECRET, body, { timestamp: now() + 302 })],
      ['an hour ahead', slackHeaders(SIGNING_SECRET, body, { timestamp: now() + 3600 })],
    ];
    const headers = slackHeaders(SIGNING_SECRET, body);
    refused.push([
      'v1= prefix',
      { ...headers, 'x-slack-signature': headers['x-slack-signature']!.replace('v0=', 'v1=') },
    ]);
    refused.push([
      'no signature',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now()) },
    ]);
    refused.push([
      'no timestamp',
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': headers['x-slack-signature']!,
      },
    ]);
    for (const [what, h, sent] of refused) {
      const res = await s.t.call('POST', '/slack/commands', { key: null, rawBody: sent ?? body, headers: h });
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      isProblem(res, 401, 'slack-signature-invalid');
    }
    await sleep(300);
    assert.equal(await countEvents(s.t), before);
    assert.equal(
      s.fake.responses.some((r) => r.id === responseId),
      false,
      'nothing was answered',
    );
    // The same request, signed now, goes through: the refusals were about the signatures.
    assert.equal(
      (
        await s.t.call('POST', '/slack/commands', {
          key: null,
          rawBody: body,
          headers: slackHeaders(SIGNING_SECRET, body),
        })
      ).status,
      200,
    );
    await s.responseTo(responseId);
    assert.equal(await notes(id), 1);
  });

  it('accepts a timestamp within five minutes either way', async () => {
    for (const skew of [-290, 290]) {
      const responseId = randomUUID();
      const { id, body } = await noteBody(responseId);
      const res = await s.t.call('POST', '/slack/commands', {
        key: null,
        rawBody: body,
        headers: slackHeaders(SIGNING_SECRET, body, { timestamp: now() + skew }),
      });
      assert.equal(res.status, 200, `${skew}: ${JSON.stringify(res.body)}`);
      await s.responseTo(responseId);
      assert.equal(await notes(id), 1);
    }
  });

  it('refuses an exact replay (same signature), in this process or another', async () => {
    const responseId = randomUUID();
    const { id, body } = await noteBody(responseId);
    const headers = slackHeaders(SIGNING_SECRET, body);
    assert.equal(
      (await s.t.call('POST', '/slack/commands', { key: null, rawBody: body, headers })).status,
      200,
    );
    await s.responseTo(responseId);
    const before = await countEvents(s.t);
    isProblem(
      await s.t.call('POST', '/slack/commands', { key: null, rawBody: body, headers }),
      401,
      'slack-replayed',
    );
    // A second Vigil process on the same database knows the signature too.
    const other = await startTestApp({
      roles: 'api',
      env: {
        SLACK_BOT_TOKEN: s.fake.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: s.fake.apiUrl,
      },
    });
    try {
      isProblem(
        await other.call('POST', '/slack/commands', { key: null, rawBody: body, headers }),
        401,
        'slack-replayed',
      );
    } finally {
      await other.close();
    }
    await sleep(300);
    assert.equal(await countEvents(s.t), before);
    assert.equal(await notes(id), 1);
  });

  it('processes a Slack retry (X-Slack-Retry-Num, signed afresh) of a command once', async () => {
    const responseId = randomUUID();
    const triggerId = randomUUID();
    const { id, body } = await noteBody(responseId, triggerId);
    const first = await s.t.call('POST', '/slack/commands', {
      key: null,
      rawBody: body,
      headers: slackHeaders(SIGNING_SECRET, body, { timestamp: now() - 2 }),
    });
    assert.equal(first.status, 200);
    for (const retryNum of [1, 2, 3]) {
      const retry = await s.t.call('POST', '/slack/commands', {
        key: null,
        rawBody: body,
        headers: slackHeaders(SIGNING_SECRET, body, { timestamp: now() - 2 + retryNum, retryNum }),
      });
      assert.equal(retry.status, 200);
      assert.equal(retry.headers.get('x-slack-no-retry'), '1');
    }
    await s.responseTo(responseId);
    await sleep(300);
    assert.equal(await notes(id), 1);
    assert.equal(s.fake.responses.filter((r) => r.id === responseId).length, 1);
  });

  it('answers an Events API event once, however often Slack retries it (deduplicated by event_id)', async () => {
    const eventId = `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
    const ts = `${now()}.000100`;
    const body = JSON.stringify(appMentionEvent({ eventId, ts, text: '<@U0VIGILBOT> help' }));
    const send = (o: { timestamp: number; retryNum?: number }) =>
      s.postSigned('/slack/events', body, { contentType: 'application/json', ...o });
    assert.equal((await send({ timestamp: now() - 3 })).status, 200);
    const retry = await send({ timestamp: now() - 2, retryNum: 1 });
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('x-slack-no-retry'), '1');
    const replies = () => s.fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === ts);
    await waitFor(() => replies().length > 0, 'the reply to the mention');
    await sleep(300);
    assert.equal(replies().length, 1);
    assert.match(replies()[0]!.args.text, /\/incident/);
  });

  it("answers Slack's url_verification challenge, signed only", async () => {
    const body = JSON.stringify({ token: 'x', challenge: 'c-3po', type: 'url_verification' });
    const res = await s.postSigned('/slack/events', body, { contentType: 'application/json' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { challenge: 'c-3po' });
    isProblem(
      await s.postSigned('/slack/events', body, { contentType: 'application/json', secret: 'wrong' }),
      401,
    );
  });

  it('refuses bodies of the wrong shape', async () => {
    isProblem(await s.postSigned('/slack/interactions', 'payload=%7Bnot-json'), 400);
    isProblem(
      await s.postSigned('/slack/commands', '{"text":"ack"}', { contentType: 'application/json' }),
      415,
    );
    // Forms are read on Slack's routes only; the API still answers them 415.
    isProblem(
      await s.t.call('POST', '/v1/incidents', {
        rawBody: 'title=x&severity=SEV1&service=y',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
    );
  });

  it("meets Slack's 3-second rule while the database is stuck, and does the work once it is not", async () => {
    const responseId = randomUUID();
    const { id, body } = await noteBody(responseId);
    const locker = testPool(1);
    const client = await locker.connect();
    try {
      await client.query('BEGIN');
      await client.query('LOCK TABLE slack_seen_signatures IN ACCESS EXCLUSIVE MODE');
      // Answered while the replay cache is still locked: the acknowledgement did not wait for it.
      const res = await s.t.call('POST', '/slack/commands', {
        key: null,
        rawBody: body,
        headers: slackHeaders(SIGNING_SECRET, body),
      });
      assert.equal(res.status, 200);
      await sleep(1200);
      assert.equal(await notes(id), 0, 'nothing is done before the replay check has answered');
      await client.query('COMMIT');
    } finally {
      client.release();
      await locker.end();
    }
    await s.responseTo(responseId);
    assert.equal(await notes(id), 1);
  });
});

describe('Slack off', () => {
  it('without SLACK_BOT_TOKEN the Slack routes answer 503', async () => {
    const t = await startTestApp({ env: { SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' } });
    try {
      assert.equal(t.runtime.slack, null);
      const body = slashCommandBody({ text: 'help', responseUrl: 'http://127.0.0.1:9/x' });
      const res = await t.call('POST', '/slack/commands', {
        key: null,
        rawBody: body,
        headers: slackHeaders(SIGNING_SECRET, body),
      });
      isProblem(res, 503, 'slack-off');
    } finally {
      await t.close();
    }
  });
});
