import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSlackActions, type PlannedEvent } from './outbox-plan.js';

const ID = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const SEVERITIES = ['SEV1', 'SEV2'];
const slackActor = { kind: 'slack', id: 'U024BE7LH', name: 'alice' };
const opened = (severity: string): PlannedEvent => ({
  type: 'IncidentOpened',
  data: {
    incidentId: ID,
    title: 'Checkout <down>',
    service: 'checkout',
    severity,
    summary: null,
    impactStartedAt: '2026-01-01T10:00:00.000Z',
    detectedAt: '2026-01-01T10:00:00.000Z',
    openedBy: 'U024BE7LH',
  },
  metadata: { actor: slackActor },
});
const plan = (event: PlannedEvent, wanted = false) => planSlackActions(event, { wanted }, SEVERITIES);

describe('planSlackActions', () => {
  it('opens a channel for a SEV1 and posts the first timeline line, mentioning the Slack user', () => {
    const { actions, channelWanted } = plan(opened('SEV1'));
    assert.equal(channelWanted, true);
    assert.deepEqual(
      actions.map((a) => a.action),
      ['channel.create', 'channel.post'],
    );
    assert.deepEqual(actions[0], { action: 'channel.create', incidentId: ID, openedBy: slackActor });
    assert.equal(
      (actions[1] as { text: string }).text,
      'Opened as SEV1 on checkout by <@U024BE7LH>: Checkout &lt;down&gt;',
    );
  });

  it('opens no channel for a SEV3, until its severity is raised to SEV2', () => {
    assert.deepEqual(plan(opened('SEV3')), { actions: [], channelWanted: false });
    const raised = plan({
      type: 'IncidentSeverityChanged',
      data: { incidentId: ID, from: 'SEV3', to: 'SEV2', reason: null },
      metadata: { actor: slackActor },
    });
    assert.deepEqual(
      raised.actions.map((a) => a.action),
      ['channel.create', 'incident.refresh', 'channel.post'],
    );
    assert.equal(raised.channelWanted, true);
  });

  it('with no channel severities configured, never opens a channel', () =>
    assert.deepEqual(planSlackActions(opened('SEV1'), { wanted: false }, []).actions, []));

  it('refreshes messages on status changes, and posts to the channel only when there is one', () => {
    const ack: PlannedEvent = {
      type: 'IncidentAcknowledged',
      data: { incidentId: ID, acknowledgedBy: 'user-1', acknowledgedAt: '2026-01-01T10:01:00.000Z' },
      metadata: { actor: { kind: 'user', id: 'user-1', name: 'Bob <ops>' } },
    };
    assert.deepEqual(plan(ack, false).actions, [{ action: 'incident.refresh', incidentId: ID }]);
    assert.deepEqual(plan(ack, true).actions, [
      { action: 'incident.refresh', incidentId: ID },
      { action: 'channel.post', incidentId: ID, text: 'Acknowledged by Bob &lt;ops&gt;' },
    ]);
  });

  it('notes go to the channel only', () => {
    const note: PlannedEvent = {
      type: 'IncidentNoteAdded',
      data: {
        incidentId: ID,
        text: 'cache *hit* ratio',
        author: 'U024BE7LH',
        addedAt: '2026-01-01T10:02:00.000Z',
      },
      metadata: { actor: slackActor },
    };
    assert.deepEqual(plan(note, true).actions, [
      { action: 'channel.post', incidentId: ID, text: 'Note added by <@U024BE7LH>: cache *hit* ratio' },
    ]);
    assert.deepEqual(plan(note, false).actions, []);
  });

  it('a page becomes a DM, an invitation to the channel and a timeline line', () => {
    const paged: PlannedEvent = {
      type: 'ResponderPaged',
      data: { incidentId: ID, level: 1, userId: 'user-7', slackUserId: 'U0G9QF9C6' },
      metadata: { actor: { kind: 'system', id: 'escalation' } },
    };
    assert.deepEqual(plan(paged, false).actions, [
      {
        action: 'page.send',
        incidentId: ID,
        level: 1,
        userId: 'user-7',
        slackUserId: 'U0G9QF9C6',
        channelId: null,
      },
    ]);
    assert.deepEqual(
      plan(paged, true).actions.map((a) => a.action),
      ['page.send', 'channel.invite', 'channel.post'],
    );
  });

  it('a page of someone without a Slack id sends nothing to Slack but says so in the channel', () => {
    const paged: PlannedEvent = {
      type: 'ResponderPaged',
      data: { incidentId: ID, level: 2, userId: 'user-8', slackUserId: null },
      metadata: {},
    };
    assert.deepEqual(plan(paged, false).actions, []);
    assert.match((plan(paged, true).actions[0] as { text: string }).text, /no Slack id/);
  });

  it('ignores events of other streams', () =>
    assert.deepEqual(plan({ type: 'AlertReceived', data: {}, metadata: {} }, true), {
      actions: [],
      channelWanted: true,
    }));
});
