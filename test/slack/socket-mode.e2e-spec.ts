import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { appMentionEvent, buttonClickBody, slashCommandBody } from '../support/fake-slack.js';
import { startSlackTestApp, type SlackTestApp } from './slack-support.js';
import { waitFor } from '../support/wait-for.js';

/** A slash command as Socket Mode carries it: the form fields as a JSON object. */
const commandPayload = (text: string, responseUrl: string, triggerId: string) =>
  Object.fromEntries(new URLSearchParams(slashCommandBody({ text, responseUrl, triggerId })));

/** Bolt acks an envelope without a response as `{}` or with no payload at all. */
const empty = (payload: unknown) =>
  payload === undefined ||
  (typeof payload === 'object' && payload !== null && Object.keys(payload).length === 0);

describe('Slack: Socket Mode (SLACK_APP_TOKEN)', () => {
  let s: SlackTestApp;
  before(async () => {
    s = await startSlackTestApp({ socketMode: true });
    await waitFor(() => s.fake.socketMode.connections === 1, 'the Socket Mode connection');
  });
  after(() => s.close());

  it('opens the WebSocket with the app token, and the HTTP routes are off', async () => {
    const opened = s.fake.callsTo('apps.connections.open');
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.token, s.fake.appToken);
    const res = await s.command('declare Over HTTP sev3 web');
    assert.equal(res.status, 404, JSON.stringify(res.body));
  });

  it('answers help in the ack itself', async () => {
    const ack = await s.fake.socketMode.push(
      'slash_commands',
      commandPayload('help', s.fake.responseUrl(), `${Date.now()}.${randomUUID()}`),
    );
    assert.equal(ack.payload?.response_type, 'ephemeral', JSON.stringify(ack));
    assert.match(ack.payload.text, /declare/);
  });

  let incidentId: string;
  it('a /incident declare envelope is acked and opens an incident from Slack', async () => {
    const responseId = randomUUID();
    const triggerId = `${Date.now()}.${randomUUID()}`;
    const ack = await s.fake.socketMode.push(
      'slash_commands',
      commandPayload(
        'declare Checkout down over the socket sev2 checkout',
        s.fake.responseUrl(responseId),
        triggerId,
      ),
    );
    assert.ok(
      empty(ack.payload),
      `a command that does work acknowledges with no payload: ${JSON.stringify(ack)}`,
    );
    incidentId = await s.incidentDeclaredBy(triggerId);
    const reply = await s.responseTo(responseId);
    assert.equal(reply.response_type, 'in_channel', JSON.stringify(reply));
    const [opened] = await s.events(incidentId);
    assert.equal(opened!.type, 'IncidentOpened');
    assert.equal(opened!.data.severity, 'SEV2');
    assert.equal(opened!.metadata.source, 'slack');
    assert.deepEqual(opened!.metadata.actor, { kind: 'slack', id: 'U024BE7LH', name: 'alice' });
  });

  it('an Acknowledge button envelope acknowledges the incident', async () => {
    const form = buttonClickBody({
      actionId: 'incident-ack',
      value: `${incidentId}:1`,
      channelId: 'C0GENERAL1',
      messageTs: '1700000000.000100',
      responseUrl: s.fake.responseUrl(),
    });
    const payload = JSON.parse(decodeURIComponent(form.slice('payload='.length))) as Record<string, unknown>;
    const ack = await s.fake.socketMode.push('interactive', payload);
    assert.ok(empty(ack.payload), JSON.stringify(ack));
    const acked = await waitFor(
      async () => (await s.events(incidentId)).find((e) => e.type === 'IncidentAcknowledged'),
      'the acknowledgement',
    );
    assert.equal(acked.metadata.source, 'slack');
  });

  it('a redelivered envelope (Slack retries one it thinks was not acked) is acked and not processed again', async () => {
    const triggerId = `${Date.now()}.${randomUUID()}`;
    const [first, again, later] = [randomUUID(), randomUUID(), randomUUID()];
    const declare = (responseId: string, trigger: string) =>
      s.fake.socketMode.push(
        'slash_commands',
        commandPayload('declare Twice over the socket sev3 web', s.fake.responseUrl(responseId), trigger),
      );
    await declare(first, triggerId);
    const incident = await s.incidentDeclaredBy(triggerId);
    assert.ok(empty((await declare(again, triggerId)).payload), 'the redelivery is acknowledged');
    // A fresh command after it goes through, so the redelivery has had its turn.
    await declare(later, `${Date.now()}.${randomUUID()}`);
    await s.responseTo(later);
    await sleep(200);
    const opened = await s.t.runtime.pool.query(
      `SELECT stream_id FROM events WHERE type = 'IncidentOpened' AND metadata->>'correlationId' = $1`,
      [`slack:${triggerId}`],
    );
    assert.deepEqual(
      opened.rows.map((r: { stream_id: string }) => r.stream_id),
      [`incident-${incident}`],
    );
    assert.equal(s.fake.responses.filter((r) => r.id === again).length, 0, 'no answer to the redelivery');

    // An Events API event, delivered twice: one reply.
    const ts = `${Math.floor(Date.now() / 1000)}.000200`;
    const mention = appMentionEvent({
      eventId: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
      ts,
      text: '<@U0VIGILBOT> hi',
    });
    await s.fake.socketMode.push('events_api', mention);
    const replies = () => s.fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === ts);
    await waitFor(() => replies().length === 1, 'the reply to the mention');
    await s.fake.socketMode.push('events_api', mention);
    await sleep(300);
    assert.equal(replies().length, 1);
  });

  it('closes the WebSocket when Vigil stops', async () => {
    await s.restart(async () => {
      await waitFor(() => s.fake.socketMode.connections === 0, 'the Socket Mode connection to close', 2000);
    });
    await waitFor(() => s.fake.socketMode.connections === 1, 'the Socket Mode connection after a restart');
  });
});
