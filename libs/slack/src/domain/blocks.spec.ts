import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTION_ACK,
  ACTION_ESCALATE,
  ACTION_RESOLVE,
  buttonValue,
  cardOf,
  channelNameOf,
  escapeMrkdwn,
  incidentMessage,
  parseButtonValue,
  shortRef,
  timelineReply,
  topicOf,
  type IncidentCard,
} from './blocks.js';

const ID = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const card = (over: Partial<IncidentCard> = {}): IncidentCard => ({
  id: ID,
  title: 'Checkout <b>down</b> & out',
  service: 'checkout',
  severity: 'SEV1',
  status: 'triggered',
  version: 3,
  openedAt: '2026-01-01T10:00:00.000Z',
  roles: { commander: null, communications: null },
  acknowledgedBy: null,
  resolvedBy: null,
  lastStatusUpdate: null,
  ...over,
});

const actionsOf = (blocks: Array<{ type: string; [k: string]: unknown }>) =>
  (blocks.find((b) => b.type === 'actions')?.elements as Array<{
    action_id: string;
    value: string;
    style?: string;
  }>) ?? [];

describe('incidentMessage', () => {
  it('pages with Acknowledge, Escalate and Resolve buttons carrying the incident and version', () => {
    const message = incidentMessage(card(), { kind: 'page', level: 2 });
    const buttons = actionsOf(message.blocks);
    assert.deepEqual(
      buttons.map((b) => b.action_id),
      [ACTION_ACK, ACTION_ESCALATE, ACTION_RESOLVE],
    );
    assert.deepEqual(
      buttons.map((b) => b.value),
      Array(3).fill(`${ID}:3`),
    );
    assert.deepEqual(
      buttons.map((b) => b.style),
      ['primary', undefined, 'danger'],
    );
    assert.match(JSON.stringify(message.blocks), /You are paged/);
    assert.match(JSON.stringify(message.blocks), /paged at level 2/);
    assert.equal(message.text, '[SEV1] Triggered: Checkout <b>down</b> & out (#2e3f4a5b)');
  });

  it('escapes the title in mrkdwn, so a title cannot mention @channel or forge a link', () => {
    const blocks = JSON.stringify(
      incidentMessage(card({ title: '<!channel> <http://x|click>' }), { kind: 'channel' }).blocks,
    );
    assert.ok(!blocks.includes('<!channel>'));
    assert.ok(blocks.includes('&lt;!channel&gt;'));
  });

  it('drops Acknowledge once acknowledged, and every button once resolved', () => {
    const acked = incidentMessage(card({ status: 'acknowledged', acknowledgedBy: 'U024BE7LH' }), {
      kind: 'page',
      person: (id) => `<@${id}>`,
    });
    assert.deepEqual(
      actionsOf(acked.blocks).map((b) => b.action_id),
      [ACTION_ESCALATE, ACTION_RESOLVE],
    );
    assert.match(JSON.stringify(acked.blocks), /acknowledged by <@U024BE7LH>/);
    assert.doesNotMatch(JSON.stringify(acked.blocks), /You are paged/);
    const resolved = incidentMessage(card({ status: 'resolved', resolvedBy: 'alice' }), { kind: 'page' });
    assert.equal(
      resolved.blocks.some((b) => b.type === 'actions'),
      false,
    );
    assert.match(JSON.stringify(resolved.blocks), /Resolved by alice/);
  });

  it('stays within Block Kit limits', () => {
    const message = incidentMessage(card({ title: 'x'.repeat(200), lastStatusUpdate: 'y'.repeat(5000) }), {
      kind: 'channel',
    });
    for (const block of message.blocks) {
      const text = (block.text as { text?: string } | undefined)?.text;
      if (text !== undefined) assert.ok(text.length <= 3000, `section text ${text.length}`);
    }
    for (const b of actionsOf(message.blocks)) assert.ok(b.action_id.length <= 255 && b.value.length <= 2000);
  });
});

describe('button values', () => {
  it('round-trip and refuse anything else', () => {
    assert.deepEqual(parseButtonValue(buttonValue(ID, 12)), { incidentId: ID, version: 12 });
    for (const bad of [undefined, 7, '', ID, `${ID}:`, `${ID}:x`, `not-a-uuid:3`, `${ID}:3:4`]) {
      assert.equal(parseButtonValue(bad), null, String(bad));
    }
  });
});

describe('names and topics', () => {
  it('short refs are the last eight hex digits', () => assert.equal(shortRef(ID), '2e3f4a5b'));

  it('channel names are lower-case, hyphenated and at most 80 characters', () => {
    assert.equal(channelNameOf(ID, 'Checkout: 502s on /pay (EU)!'), 'inc-2e3f4a5b-checkout-502s-on-pay-eu');
    assert.equal(channelNameOf(ID, '!!!'), 'inc-2e3f4a5b');
    const long = channelNameOf(ID, 'word '.repeat(40));
    assert.ok(long.length <= 80 && /^[a-z0-9-]+$/.test(long) && !long.endsWith('-'));
  });

  it('topics say severity, status, title and commander within 250 characters', () => {
    assert.equal(
      topicOf(card({ status: 'mitigated' }), 'alice'),
      'SEV1 | Mitigated | Checkout <b>down</b> & out | IC alice',
    );
    assert.ok(topicOf(card({ title: 'z'.repeat(300) })).length <= 250);
  });

  it('escapes only what mrkdwn treats as markup', () =>
    assert.equal(escapeMrkdwn('a & <b> *c*'), 'a &amp; &lt;b&gt; *c*'));
});

describe('cardOf', () => {
  it('names who acknowledged and resolved, forgetting them after a reopen', () => {
    const state = {
      id: ID,
      title: 't',
      service: 's',
      severity: 'SEV2',
      summary: null,
      roles: { commander: null, communications: null },
      reopenCount: 1,
      lastStatusUpdate: null,
      diagnoses: 0,
      remediations: 0,
      notes: 0,
      openedAt: '2026-01-01T10:00:00.000Z',
      updatedAt: '2026-01-01T10:00:00.000Z',
      status: 'acknowledged',
      milestones: {
        impactStartedAt: '2026-01-01T10:00:00.000Z',
        detectedAt: '2026-01-01T10:00:00.000Z',
        acknowledgedAt: '2026-01-01T10:01:00.000Z',
        mitigatedAt: null,
        resolvedAt: null,
      },
    } as const;
    const events = [
      { type: 'IncidentAcknowledged', data: { acknowledgedBy: 'first' } },
      { type: 'IncidentResolved', data: { resolvedBy: 'closer' } },
      { type: 'IncidentReopened', data: {} },
      { type: 'IncidentAcknowledged', data: { acknowledgedBy: 'second' } },
    ];
    const c = cardOf(state, 5, events);
    assert.equal(c.acknowledgedBy, 'second');
    assert.equal(c.resolvedBy, null);
    assert.equal(c.version, 5);
  });
});

describe('timelineReply', () => {
  it('is ephemeral and shows the last entries', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({
      occurredAt: '2026-01-01T10:00:00.000Z',
      summary: `entry ${i}`,
    }));
    const reply = timelineReply(ID, entries, 30);
    assert.equal(reply.response_type, 'ephemeral');
    assert.match(reply.text, /last 30 of 40/);
    assert.match(reply.text, /entry 39/);
    assert.doesNotMatch(reply.text, /entry 9\b/);
  });
});
