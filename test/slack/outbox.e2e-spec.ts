import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait-for.js';
import { startSlackTestApp, type SlackTestApp } from './slack-support.js';

const actionIds = (call: { args: { blocks?: unknown } }) =>
  ((call.args.blocks as any[] | undefined) ?? [])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements.map((e: { action_id: string }) => e.action_id));

describe('Slack: messages through the outbox', () => {
  let s: SlackTestApp;
  before(async () => {
    s = await startSlackTestApp();
  });
  after(() => s.close());

  const pool = () => s.t.runtime.pool;

  /** Waits until the outbox has nothing left to send, so the next test's failures hit its own calls. */
  const settled = () =>
    waitFor(
      async () =>
        (await pool().query(`SELECT 1 FROM slack_outbox WHERE status = 'pending' LIMIT 1`)).rowCount === 0,
      'an idle outbox',
      10_000,
    );

  const openIncident = async (severity = 'SEV3') => {
    const res = await s.t.call('POST', '/v1/incidents', {
      body: { title: `Outbox ${randomUUID().slice(0, 8)}`, severity, service: 'outbox' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };

  /** Pages a Vigil user with this Slack id by hand, through the escalation engine (one ResponderPaged). */
  const page = async (incidentId: string, slackUserId: string, app: TestApp = s.t) => {
    const { users, escalations } = app.runtime.escalation;
    const user =
      (await users.bySlackId(slackUserId)) ??
      (await users.create({ name: `Responder ${slackUserId}`, slackUserId }));
    await escalations.page(incidentId, { userId: user.id }, { kind: 'user', id: 'test' });
    return Date.now();
  };

  const dmTo = (slackUserId: string) => `D${slackUserId.slice(1)}`;
  const pagesTo = (slackUserId: string) =>
    s.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === dmTo(slackUserId));
  const outboxRow = async (incidentId: string, action: string) =>
    (
      await pool().query<{ status: string; attempts: number; last_error: string | null }>(
        `SELECT status, attempts, last_error FROM slack_outbox WHERE incident_id = $1 AND action = $2`,
        [incidentId, action],
      )
    ).rows;

  it('a page is a DM with Acknowledge, Escalate and Resolve; a click acknowledges it and the DM is updated in place', async () => {
    await settled();
    const id = await openIncident();
    const user = 'U0PAGE0001';
    await page(id, user);
    const dm = await waitFor(() => pagesTo(user)[0], 'the DM');
    assert.equal(s.fake.callsTo('conversations.open').filter((c) => c.args.users === user).length, 1);
    assert.deepEqual(actionIds(dm), ['incident-ack', 'incident-escalate', 'incident-resolve']);
    assert.match(dm.args.text, /Triggered/);
    const value = (dm.args.blocks as any[]).find((b) => b.type === 'actions').elements[0].value as string;
    assert.equal(value, `${id}:2`, 'the incident and the version the page showed');
    // The message's ts is recorded just after Slack answered the post: wait for it.
    const ts = await waitFor(
      async () =>
        (await pool().query<{ ts: string }>(`SELECT ts FROM slack_messages WHERE incident_id = $1`, [id]))
          .rows[0]?.ts,
      "the DM's ts",
    );

    const click = await s.click({
      actionId: 'incident-ack',
      value,
      channelId: dmTo(user),
      messageTs: ts,
      userId: user,
    });
    assert.equal(click.status, 200);
    const events = await waitFor(async () => {
      const all = await s.events(id);
      return all.some((e) => e.type === 'IncidentAcknowledged') && all;
    }, 'the acknowledgement');
    const ack = events.find((e) => e.type === 'IncidentAcknowledged')!;
    // The clicking Slack user is a Vigil user: the event names the Vigil user.
    const vigilUser = (await s.t.runtime.escalation.users.bySlackId(user))!;
    assert.deepEqual(ack.metadata.actor, { kind: 'user', id: vigilUser.id, name: vigilUser.name });
    assert.equal(ack.metadata.source, 'slack');
    assert.equal(ack.data.acknowledgedBy, vigilUser.id);

    const update = await waitFor(
      () => s.fake.callsTo('chat.update').find((c) => c.args.channel === dmTo(user) && c.args.ts === ts),
      'the DM updated in place',
    );
    assert.match(update.args.text, /Acknowledged/);
    assert.deepEqual(actionIds(update), ['incident-escalate', 'incident-resolve']);
    assert.match(JSON.stringify(update.args.blocks), new RegExp(`acknowledged by <@${user}>`));
    assert.equal(s.fake.messages.get(`${dmTo(user)}:${ts}`)?.text, update.args.text);
    assert.equal(pagesTo(user).length, 1, 'one DM, edited, never a second one');

    // Resolve from the same message: the buttons go.
    await s.click({
      actionId: 'incident-resolve',
      value: `${id}:2`,
      channelId: dmTo(user),
      messageTs: ts,
      userId: user,
    });
    await waitFor(
      () => s.fake.messages.get(`${dmTo(user)}:${ts}`)?.text.includes('Resolved'),
      'the DM showing Resolved',
    );
    assert.deepEqual(actionIds({ args: { blocks: s.fake.messages.get(`${dmTo(user)}:${ts}`)!.blocks } }), []);
  });

  it('a SEV1 gets a channel: created, status message with buttons, topic, the declarer invited, and the timeline as it grows', async () => {
    await settled();
    const res = await s.command('declare Checkout down for everyone sev1 checkout', { userId: 'U0DECLARE1' });
    const id = await s.incidentDeclaredBy(res.triggerId);
    const ref = id.replace(/-/g, '').slice(-8);
    const created = await waitFor(
      () => s.fake.callsTo('conversations.create').find((c) => String(c.args.name).startsWith(`inc-${ref}`)),
      'the incident channel',
    );
    assert.equal(created.args.name, `inc-${ref}-checkout-down-for-everyone`);
    const channel = [...s.fake.channels.values()].find((c) => c.name === created.args.name)!;
    await waitFor(() => channel.members.has('U0DECLARE1'), 'the declarer invited');
    await waitFor(
      () => channel.topic.startsWith('SEV1 | Triggered | Checkout down for everyone'),
      'the topic',
    );
    const inChannel = () => s.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === channel.id);
    const status = await waitFor(
      () => inChannel().find((c) => actionIds(c).length > 0),
      'the status message',
    );
    assert.deepEqual(actionIds(status), ['incident-ack', 'incident-escalate', 'incident-resolve']);
    await waitFor(
      () => inChannel().some((c) => /Opened as SEV1 on checkout by <@U0DECLARE1>/.test(c.args.text)),
      'the first timeline line',
    );

    await s.command('note customers see 502 on /pay', { channelId: channel.id, userId: 'U0DECLARE1' });
    await waitFor(
      () => inChannel().some((c) => c.args.text === 'Note added by <@U0DECLARE1>: customers see 502 on /pay'),
      'the note in the channel',
    );
    await s.command('ack', { channelId: channel.id, userId: 'U0DECLARE2' });
    await waitFor(() => channel.topic.startsWith('SEV1 | Acknowledged |'), 'the topic after the ack');
    const statusTs = await waitFor(
      async () =>
        (
          await pool().query<{ ts: string }>(
            `SELECT ts FROM slack_messages WHERE incident_id = $1 AND kind = 'status'`,
            [id],
          )
        ).rows[0]?.ts,
      "the status message's ts",
    );
    const statusNow = s.fake.messages.get(`${channel.id}:${statusTs}`);
    assert.ok(statusNow);
    assert.deepEqual(actionIds({ args: { blocks: statusNow.blocks } }), [
      'incident-escalate',
      'incident-resolve',
    ]);
    assert.match(statusNow.text, /Acknowledged/);
    await settled();
    assert.equal(
      inChannel().filter((c) => actionIds(c).length > 0).length,
      1,
      'one status message, edited in place',
    );
    assert.equal(
      s.fake.callsTo('conversations.create').filter((c) => String(c.args.name).startsWith(`inc-${ref}`))
        .length,
      1,
    );
  });

  it('pages to the same person open their DM once; a remembered DM that is gone is opened again', async () => {
    await settled();
    const user = 'U0TWICE001';
    const opens = () => s.fake.callsTo('conversations.open').filter((c) => c.args.users === user).length;
    await page(await openIncident(), user);
    await waitFor(() => pagesTo(user).length === 1, 'the first DM');
    await page(await openIncident(), user);
    await waitFor(() => pagesTo(user).length === 2, 'the second DM');
    assert.equal(opens(), 1, 'one conversations.open for two pages');

    // Slack says the remembered channel is gone: the page opens the DM again and goes, first time.
    await settled();
    s.fake.failNext(1, { error: 'channel_not_found' }, 'chat.postMessage');
    const id = await openIncident();
    await page(id, user);
    await waitFor(() => pagesTo(user).length === 3, 'the third DM');
    assert.equal(opens(), 2);
    // The row is settled in its own statements after Slack answered.
    await waitFor(async () => (await outboxRow(id, 'page.send'))[0]?.status === 'sent', 'the row settled');
    assert.deepEqual(
      (await outboxRow(id, 'page.send')).map((r) => [r.status, r.attempts]),
      [['sent', 1]],
    );
  });

  it('429 then 200: the message is delivered exactly once, after Retry-After', async () => {
    await settled();
    const id = await openIncident();
    const user = 'U0RATE0001';
    s.fake.failNext(1, { status: 429, retryAfter: 2 }, 'chat.postMessage');
    await page(id, user);
    await waitFor(() => pagesTo(user).length === 1, 'the DM after the 429', 10_000);
    const attempts = s.fake.requests.filter((r) => r.method === 'chat.postMessage');
    const limited = attempts.find((r) => r.status === 429)!;
    assert.ok(limited, 'Slack answered 429 once');
    const delivered = pagesTo(user)[0]!;
    assert.ok(delivered.at - limited.at >= 2000, `retried ${delivered.at - limited.at} ms after the 429`);
    await sleep(500);
    assert.equal(pagesTo(user).length, 1);
    // The row is settled in its own statements after Slack answered.
    await waitFor(async () => (await outboxRow(id, 'page.send'))[0]?.status === 'sent', 'the row settled');
    assert.deepEqual(
      (await outboxRow(id, 'page.send')).map((r) => [r.status, r.attempts]),
      [['sent', 2]],
    );
  });

  it('500 then 200: delivered once, after a backoff', async () => {
    await settled();
    const id = await openIncident();
    const user = 'U0FIVE0001';
    s.fake.failNext(1, { status: 500 }, 'chat.postMessage');
    await page(id, user);
    await waitFor(() => pagesTo(user).length === 1, 'the DM after the 500', 10_000);
    const failed = s.fake.requests.filter((r) => r.method === 'chat.postMessage' && r.status === 500).at(-1)!;
    const delivered = pagesTo(user)[0]!;
    assert.ok(delivered.at - failed.at >= 900, `retried ${delivered.at - failed.at} ms after the 500`);
    await sleep(500);
    assert.equal(pagesTo(user).length, 1);
    // The row is settled in its own statements after Slack answered.
    await waitFor(async () => (await outboxRow(id, 'page.send'))[0]?.status === 'sent', 'the row settled');
    assert.deepEqual(
      (await outboxRow(id, 'page.send')).map((r) => [r.status, r.attempts]),
      [['sent', 2]],
    );
  });

  it('a refusal Slack means (channel_not_found) gives the row up at once, and later rows of the incident still go', async () => {
    await settled();
    const id = await openIncident();
    s.fake.failNext(1, { error: 'channel_not_found' }, 'chat.postMessage');
    await page(id, 'U0GONE0001');
    await waitFor(async () => (await outboxRow(id, 'page.send'))[0]?.status === 'failed', 'the row given up');
    assert.deepEqual(
      (await outboxRow(id, 'page.send')).map((r) => [r.attempts, r.last_error]),
      [[1, 'channel_not_found']],
    );
    await page(id, 'U0NEXT0001');
    await waitFor(() => pagesTo('U0NEXT0001').length === 1, 'the next page');
  });

  it('rows pending at a restart, and events appended while Vigil was down, are delivered once after it', async () => {
    await settled();
    const id = await openIncident();
    s.fake.failNext(1, { status: 429, retryAfter: 2 }, 'chat.postMessage');
    await page(id, 'U0RESTART1');
    await waitFor(
      () => s.fake.requests.some((r) => r.method === 'chat.postMessage' && r.status === 429),
      'the 429',
    );
    await s.restart(async () => {
      // An API-only process (no outbox worker) pages while no worker runs.
      const api = await startTestApp({ roles: 'api', env: s.env });
      try {
        await page(id, 'U0RESTART2', api);
      } finally {
        await api.close();
      }
      await sleep(300);
      assert.equal(pagesTo('U0RESTART2').length, 0, 'nothing is sent while no worker runs');
    });
    await waitFor(
      () => pagesTo('U0RESTART1').length === 1 && pagesTo('U0RESTART2').length === 1,
      'both DMs',
      10_000,
    );
    await settled();
    await sleep(300);
    assert.equal(pagesTo('U0RESTART1').length, 1);
    assert.equal(pagesTo('U0RESTART2').length, 1);
  });

  it('a row whose worker died after posting (its ts recorded, its lease run out) is settled without posting again', async () => {
    await settled();
    const id = await openIncident();
    const dm = 'D0CRASH001';
    // What the dead worker did: Slack took the post and the ts was written, but not `sent`.
    const posted = await s.t.runtime.slack!.client.chat.postMessage({
      channel: dm,
      text: 'page before the crash',
    });
    // One statement: the row and its recorded message appear together, as the dead worker left them.
    const { rows } = await pool().query<{ id: string }>(
      `WITH o AS (
         INSERT INTO slack_outbox (event_id, action, incident_id, payload, due_at, attempts, lease_id, lease_until)
         VALUES ($1, 'page.send', $2, $3, now(), 1, $4, now() - interval '1 second') RETURNING id)
       INSERT INTO slack_messages (channel_id, ts, incident_id, kind, level, outbox_id)
       SELECT $5, $6, $2, 'page', 1, id FROM o RETURNING outbox_id AS id`,
      [
        randomUUID(),
        id,
        JSON.stringify({
          action: 'page.send',
          incidentId: id,
          level: 1,
          userId: null,
          slackUserId: 'U0CRASH001',
          channelId: null,
        }),
        randomUUID(),
        dm,
        posted.ts,
      ],
    );
    s.t.runtime.slack!.dispatcher.wake();
    await waitFor(
      async () =>
        (await pool().query(`SELECT 1 FROM slack_outbox WHERE id = $1 AND status = 'sent'`, [rows[0]!.id]))
          .rowCount === 1,
      'the row settled',
    );
    assert.equal(
      s.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === dm).length,
      1,
      'not posted again',
    );
    // The message it recorded is the one later changes edit.
    assert.equal((await s.t.call('POST', `/v1/incidents/${id}/acknowledge`, { body: {} })).status, 200);
    await waitFor(
      () => s.fake.messages.get(`${dm}:${posted.ts}`)?.text.includes('Acknowledged'),
      'the page edited',
    );
  });

  it('two worker processes on one database send each page exactly once', async () => {
    await settled();
    const other = await startTestApp({ roles: 'worker', env: s.env });
    try {
      const users = Array.from({ length: 20 }, (_, i) => `U0TWO${String(i).padStart(5, '0')}`);
      const ids = await Promise.all(users.map(() => openIncident()));
      await Promise.all(ids.map((id, i) => page(id, users[i]!)));
      await waitFor(() => users.every((u) => pagesTo(u).length >= 1), 'all 20 DMs', 15_000);
      await settled();
      await sleep(300);
      for (const u of users) assert.equal(pagesTo(u).length, 1, u);
    } finally {
      await other.close();
    }
  });
  it('a replay of the read models pages no one again, even once retention pruned the rows sent', async () => {
    await settled();
    const id = await openIncident();
    const user = 'U0REPLAY01';
    await page(id, user);
    await waitFor(() => pagesTo(user)[0], 'the DM');
    await settled();
    // As retention does after OUTBOX_RETENTION_DAYS: nothing would stop the page being planned again.
    await pool().query(`DELETE FROM slack_outbox WHERE incident_id = $1`, [id]);
    const events = await s.t.runtime.subscriptions.replay();
    assert.ok(events > 0, 'the read models were rebuilt from the log');
    await settled();
    const { rowCount } = await pool().query(`SELECT 1 FROM slack_outbox WHERE incident_id = $1`, [id]);
    assert.equal(rowCount, 0, 'nothing planned again');
    assert.equal(pagesTo(user).length, 1, 'the page sent once');
  });
});
