import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '#vigil/common';
// The escalation tests' own set-up: users, a schedule and a two-level policy on a fresh service.
import {
  escalationOf,
  setUpEscalation,
  streamOf,
  type EscalationSetup,
} from '../escalation/escalation-fixtures.js';
import { type FakeSlackCall } from '../support/fake-slack.js';
import { startSlackTestApp, type SlackTestApp } from './slack-support.js';
import { waitFor } from '../support/wait-for.js';

// Monday 2 March 2026, 10:00 UTC: Alice is on call in the fixture's daily rotation.
const START = '2026-03-02T10:00:00.000Z';
const MINUTE = 60_000;

const actionIds = (blocks: unknown) =>
  ((blocks as any[] | undefined) ?? [])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements.map((e: { action_id: string }) => e.action_id));

describe('Slack acceptance: an alert pages on call in Slack, escalates, and a click stops it', () => {
  const clock = new ManualClock(new Date(START));
  let s: SlackTestApp;
  let setup: EscalationSetup;

  before(async () => {
    s = await startSlackTestApp({ clock });
    setup = await setUpEscalation(s.t.call, { layerStart: '2026-03-02T09:00:00Z', delays: [5, 10] });
    // Earlier test files leave a long log behind (the replay test's 100,000 events): let the
    // escalation starter take it in first, so the latency measured below is this alert's own.
    await s.t.runtime.escalation.engine.catchUpStarter();
  });
  after(() => s.close());

  it('Alertmanager alert → level 1 DM within a second → level 2 → Acknowledge clicked → escalation stops', async () => {
    const alice = (await s.t.runtime.escalation.users.get(setup.users.alice))!;
    const aliceDm = `D${alice.slackUserId!.slice(1)}`;
    const integration = await s.t.call('POST', '/v1/integrations', {
      body: { name: 'Prometheus', service: setup.service, type: 'alertmanager' },
    });
    assert.equal(integration.status, 201, JSON.stringify(integration.body));

    const alert = await s.t.call('POST', `/v1/integrations/${integration.body.key}/alertmanager`, {
      key: null,
      body: {
        receiver: 'vigil',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'CheckoutErrors', severity: 'critical', service: setup.service },
            annotations: { summary: 'Checkout returns 502' },
            startsAt: '2026-03-02T09:58:00.000Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example.org/graph',
            fingerprint: '1a30ba71cca2921f',
          },
        ],
        groupLabels: { alertname: 'CheckoutErrors' },
        commonLabels: { alertname: 'CheckoutErrors', severity: 'critical' },
        commonAnnotations: { summary: 'Checkout returns 502' },
        externalURL: 'http://alertmanager.example.org',
        version: '4',
        groupKey: '{}:{alertname="CheckoutErrors"}',
        truncatedAlerts: 0,
      },
    });
    assert.equal(alert.status, 202, JSON.stringify(alert.body));

    // Level 1: the schedule's on-call user, Alice, gets a DM with buttons.
    const dm = await waitFor(
      () => s.fake.callsTo('chat.postMessage').find((c) => c.args.channel === aliceDm),
      "Alice's page",
    );
    // The clock has not moved: level 1 goes out when the incident opens. How long that takes is
    // measured by `npm run bench` (alert_to_slack_page_latency), never asserted here.
    assert.deepEqual(actionIds(dm.args.blocks), ['incident-ack', 'incident-escalate', 'incident-resolve']);
    const incidentId = (dm.args.blocks as any[])
      .find((b) => b.type === 'actions')
      .elements[0].value.split(':')[0] as string;

    // No acknowledgement within 5 minutes: level 2 pages Carol (no Slack id) and channel C0ESCALATE.
    clock.advance(5 * MINUTE);
    await s.t.runtime.escalation.engine.tick();
    const channelPage = await waitFor(
      () => s.fake.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0ESCALATE'),
      'the level-2 page in C0ESCALATE',
    );
    assert.deepEqual(actionIds(channelPage.args.blocks), [
      'incident-ack',
      'incident-escalate',
      'incident-resolve',
    ]);

    // Alice clicks Acknowledge in her DM.
    const ts = await waitFor(
      async () =>
        (
          await s.t.runtime.pool.query<{ ts: string }>(
            `SELECT ts FROM slack_messages WHERE incident_id = $1 AND channel_id = $2`,
            [incidentId, aliceDm],
          )
        ).rows[0]?.ts,
      "the DM's ts",
    );
    const value = (dm.args.blocks as any[]).find((b) => b.type === 'actions').elements[0].value as string;
    const click = await s.click({
      actionId: 'incident-ack',
      value,
      channelId: aliceDm,
      messageTs: ts,
      userId: alice.slackUserId!,
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    assert.equal(click.status, 200);
    await waitFor(
      async () =>
        (await streamOf(s.t.runtime.pool, incidentId)).some((e) => e.type === 'IncidentAcknowledged'),
      'the acknowledgement',
    );

    // Escalation stops: hours pass, the tick and the auditor run, nothing more is paged.
    for (const minutes of [10, 60, 600]) {
      clock.advance(minutes * MINUTE);
      await s.t.runtime.escalation.engine.tick();
      await s.t.runtime.escalation.engine.audit();
    }
    const events = await streamOf(s.t.runtime.pool, incidentId);
    assert.deepEqual(escalationOf(events), [
      ['EscalationStepStarted', 1, 0],
      ['ResponderPaged', 1, setup.users.alice],
      ['EscalationStepStarted', 2, 1],
      ['ResponderPaged', 2, setup.users.carol],
      ['ResponderPaged', 2, 'C0ESCALATE'],
    ]);
    // Every step has its actor: alerts open, escalation pages, Alice (as her Vigil user, through Slack) acknowledges.
    const actors = events.map((e) => [e.type, e.metadata.actor.kind, e.metadata.source]);
    assert.deepEqual(actors[0], ['IncidentOpened', 'alert', 'alert']);
    for (const [type, kind] of actors.filter(
      ([t]) => t !== 'IncidentOpened' && t !== 'AlertAttached' && t !== 'IncidentAcknowledged',
    )) {
      assert.equal(kind, 'system', `${type} is the escalation engine's`);
    }
    const ack = events.find((e) => e.type === 'IncidentAcknowledged')!;
    assert.deepEqual(ack.metadata.actor, { kind: 'user', id: alice.id, name: alice.name });
    assert.equal(ack.metadata.source, 'slack');

    // Both pages now say Acknowledged, edited in place, without Acknowledge buttons.
    for (const channel of [aliceDm, 'C0ESCALATE']) {
      const updated = await waitFor(
        () =>
          [...s.fake.messages.values()].find(
            (m) =>
              m.channel === channel &&
              m.text.includes(incidentId.replace(/-/g, '').slice(-8)) &&
              /Acknowledged/.test(m.text),
          ),
        `the page in ${channel} updated`,
      );
      assert.deepEqual(actionIds(updated.blocks), ['incident-escalate', 'incident-resolve']);
      const posted = s.fake
        .callsTo('chat.postMessage')
        .filter((c: FakeSlackCall) => c.args.channel === channel);
      assert.equal(posted.length, 1, `one message in ${channel}`);
    }
  });
});
