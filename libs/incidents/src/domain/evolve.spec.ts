import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decide } from './decide.js';
import type { IncidentEvent } from './events.js';
import { INCIDENT_EVENT_TYPES } from './events.js';
import { evolve, foldIncident, initialIncident } from './evolve.js';
import {
  acknowledged,
  command,
  corrected,
  deepFreeze,
  diagnosed,
  history,
  ID,
  mitigated,
  opened,
  remediating,
  reopened,
  resolved,
  t,
} from './spec-fixtures.js';
import type { Incident, OpenedIncident } from './types.js';

const fold = (events: IncidentEvent[]): OpenedIncident => {
  const state = foldIncident(deepFreeze(events));
  assert.notEqual(state.status, 'none', 'expected an opened incident');
  return state as OpenedIncident;
};

/** One event of every type, in an order that applies cleanly after opened(). */
const oneOfEach: IncidentEvent[] = [
  opened(),
  acknowledged(),
  {
    type: 'IncidentRoleAssigned',
    data: { incidentId: ID, role: 'commander', assignee: 'dana', previous: null },
  },
  { type: 'IncidentSeverityChanged', data: { incidentId: ID, from: 'SEV3', to: 'SEV1', reason: null } },
  diagnosed(),
  remediating(),
  mitigated(),
  resolved(),
  reopened(),
  { type: 'IncidentNoteAdded', data: { incidentId: ID, text: 'n', author: 'bob', addedAt: t('11:01') } },
  {
    type: 'IncidentStatusUpdatePosted',
    data: { incidentId: ID, message: 'm', postedBy: 'bob', postedAt: t('11:02') },
  },
  {
    type: 'AlertAttached',
    data: {
      incidentId: ID,
      integrationId: 'int-1',
      alertKey: 'db/disk',
      source: 'pagerduty',
      summary: 'Disk\nat 99%',
      severity: 'SEV2',
      startsAt: t('09:55'),
      attachedAt: t('11:03'),
    },
  },
  corrected('impactStarted', t('10:00'), t('09:40')),
  {
    type: 'EscalationStepStarted',
    data: {
      incidentId: ID,
      cycle: 1,
      step: 0,
      level: 1,
      repeat: 0,
      policyId: 'pol-1',
      policyVersion: 1,
      policyName: 'Checkout',
      levels: 1,
      repeats: 0,
      delayMinutes: 5,
      targets: [],
      trigger: 'timer',
      scheduledFor: t('11:00'),
      firedAt: t('11:00'),
      delayMs: 0,
      nextStepAt: t('11:05'),
    },
  },
  {
    type: 'ResponderPaged',
    data: {
      incidentId: ID,
      level: 1,
      step: 0,
      cycle: 1,
      userId: 'dana',
      userName: 'Dana',
      slackUserId: 'UDANA',
      channelId: null,
      via: { kind: 'user', id: 'dana' },
      explanation: 'Named in level 1',
      pagedAt: t('11:00'),
      pagedBy: 'escalation',
    },
  },
  {
    type: 'EscalationExhausted',
    data: {
      incidentId: ID,
      cycle: 1,
      step: 1,
      policyId: 'pol-1',
      policyVersion: 1,
      levels: 1,
      repeats: 0,
      exhaustedAt: t('11:05'),
    },
  },
];

describe('evolve', () => {
  it('starts from none, and folding nothing stays there', () => {
    assert.deepEqual(initialIncident, { status: 'none' });
    assert.deepEqual(foldIncident([]), { status: 'none' });
  });

  it('IncidentOpened gives a triggered incident with every field set', () => {
    assert.deepEqual(foldIncident([opened({ summary: '5xx on /pay' })]), {
      status: 'triggered',
      id: ID,
      title: 'Checkout errors',
      service: 'checkout',
      severity: 'SEV3',
      summary: '5xx on /pay',
      roles: { commander: null, communications: null },
      milestones: {
        impactStartedAt: t('10:00'),
        detectedAt: t('10:05'),
        acknowledgedAt: null,
        mitigatedAt: null,
        resolvedAt: null,
      },
      reopenCount: 0,
      lastStatusUpdate: null,
      diagnoses: 0,
      remediations: 0,
      notes: 0,
      openedAt: t('10:05'),
      updatedAt: t('10:05'),
    });
  });

  describe('status transitions', () => {
    const table: { name: string; given: IncidentEvent[]; status: Incident['status'] }[] = [
      { name: 'opened → triggered', given: history.triggered, status: 'triggered' },
      {
        name: 'acknowledged from triggered → acknowledged',
        given: history.acknowledged,
        status: 'acknowledged',
      },
      {
        name: 'diagnosis from acknowledged → investigating',
        given: history.investigating,
        status: 'investigating',
      },
      {
        name: 'diagnosis from triggered → investigating',
        given: [opened(), diagnosed()],
        status: 'investigating',
      },
      {
        name: 'remediation from acknowledged → investigating',
        given: [opened(), acknowledged(), remediating()],
        status: 'investigating',
      },
      {
        name: 'acknowledged while investigating stays investigating',
        given: [...history.investigating, acknowledged(t('10:21'))],
        status: 'investigating',
      },
      { name: 'mitigated → mitigated', given: history.mitigated, status: 'mitigated' },
      {
        name: 'diagnosis while mitigated stays mitigated',
        given: [...history.mitigated, diagnosed(t('10:40'))],
        status: 'mitigated',
      },
      {
        name: 'remediation while mitigated stays mitigated',
        given: [...history.mitigated, remediating(t('10:40'))],
        status: 'mitigated',
      },
      { name: 'resolved → resolved', given: history.resolved, status: 'resolved' },
      {
        name: 'resolved straight from triggered → resolved',
        given: history.resolvedUnacknowledged,
        status: 'resolved',
      },
      { name: 'reopened → triggered', given: history.reopened, status: 'triggered' },
      {
        name: 'reopened then acknowledged → acknowledged',
        given: [...history.reopened, acknowledged(t('11:05'), 'carol')],
        status: 'acknowledged',
      },
    ];
    for (const { name, given, status } of table)
      it(name, () => assert.equal(foldIncident(given).status, status));
  });

  it('keeps the first acknowledgement: a second one changes nothing but updatedAt', () => {
    const state = fold([...history.investigating, acknowledged(t('10:21'), 'carol')]);
    assert.equal(state.milestones.acknowledgedAt, t('10:10'));
    assert.equal(state.updatedAt, t('10:21'));
  });

  it('an acknowledgement after work started without one (older streams) still sets acknowledgedAt', () => {
    const state = fold([opened(), diagnosed(), acknowledged(t('10:22'))]);
    assert.equal(state.status, 'investigating');
    assert.equal(state.milestones.acknowledgedAt, t('10:22'));
  });

  it('reopen then acknowledge again: acknowledged, first acknowledgedAt kept, new cycle cleared', () => {
    const state = fold([...history.reopened, acknowledged(t('11:05'), 'carol')]);
    assert.equal(state.status, 'acknowledged');
    assert.equal(state.reopenCount, 1);
    assert.deepEqual(state.milestones, {
      impactStartedAt: t('10:00'),
      detectedAt: t('10:05'),
      acknowledgedAt: t('10:10'),
      mitigatedAt: null,
      resolvedAt: null,
    });
    assert.equal(state.updatedAt, t('11:05'));
  });

  it('a second cycle records its own mitigation and resolution and counts reopens', () => {
    const state = fold([
      ...history.reopened,
      mitigated(t('11:10')),
      resolved(t('11:20')),
      reopened(t('11:30')),
      resolved(t('11:40')),
    ]);
    assert.equal(state.status, 'resolved');
    assert.equal(state.reopenCount, 2);
    assert.equal(state.milestones.mitigatedAt, null, 'the second reopen cleared the 11:10 mitigation');
    assert.equal(state.milestones.resolvedAt, t('11:40'));
    assert.equal(state.milestones.acknowledgedAt, t('10:10'));
  });

  it('counts diagnoses, remediations and notes, and keeps the last status update', () => {
    const state = fold([
      ...history.investigating,
      remediating(),
      diagnosed(t('10:26')),
      { type: 'IncidentNoteAdded', data: { incidentId: ID, text: 'a', author: 'bob', addedAt: t('10:27') } },
      {
        type: 'IncidentStatusUpdatePosted',
        data: { incidentId: ID, message: 'first', postedBy: 'bob', postedAt: t('10:28') },
      },
      {
        type: 'IncidentStatusUpdatePosted',
        data: { incidentId: ID, message: 'second', postedBy: 'bob', postedAt: t('10:29') },
      },
    ]);
    assert.equal(state.diagnoses, 2);
    assert.equal(state.remediations, 1);
    assert.equal(state.notes, 1);
    assert.deepEqual(state.lastStatusUpdate, { message: 'second', postedAt: t('10:29') });
    assert.equal(state.updatedAt, t('10:29'));
  });

  it('assigns and hands over roles, and changes severity', () => {
    const state = fold([
      ...history.triggered,
      {
        type: 'IncidentRoleAssigned',
        data: { incidentId: ID, role: 'commander', assignee: 'dana', previous: null },
      },
      {
        type: 'IncidentRoleAssigned',
        data: { incidentId: ID, role: 'communications', assignee: 'erin', previous: null },
      },
      {
        type: 'IncidentRoleAssigned',
        data: { incidentId: ID, role: 'commander', assignee: 'fay', previous: 'dana' },
      },
      {
        type: 'IncidentSeverityChanged',
        data: { incidentId: ID, from: 'SEV3', to: 'SEV1', reason: 'customers affected' },
      },
    ]);
    assert.deepEqual(state.roles, { commander: 'fay', communications: 'erin' });
    assert.equal(state.severity, 'SEV1');
    assert.equal(state.updatedAt, t('10:05'), 'these events carry no time of their own');
  });

  it('MilestoneCorrected sets the effective value and leaves updatedAt alone', () => {
    const before = fold(history.resolved);
    const after = fold([
      ...history.resolved,
      corrected('impactStarted', t('10:00'), t('09:40')),
      corrected('detected', t('10:05'), t('10:02')),
      corrected('acknowledged', t('10:10'), t('10:08')),
      corrected('mitigated', t('10:30'), t('10:29')),
      corrected('resolved', t('10:50'), t('10:45')),
    ]);
    assert.deepEqual(after.milestones, {
      impactStartedAt: t('09:40'),
      detectedAt: t('10:02'),
      acknowledgedAt: t('10:08'),
      mitigatedAt: t('10:29'),
      resolvedAt: t('10:45'),
    });
    assert.equal(after.updatedAt, before.updatedAt);
    assert.equal(after.status, 'resolved');
  });

  it('ignores a correction of a milestone with no value (decide never emits one)', () => {
    const given = history.acknowledged;
    assert.deepEqual(foldIncident([...given, corrected('mitigated', null, t('10:20'))]), foldIncident(given));
    assert.deepEqual(foldIncident([...given, corrected('resolved', null, t('10:20'))]), foldIncident(given));
  });

  it('sets updatedAt from each event’s own time', () => {
    const table: [IncidentEvent, string][] = [
      [acknowledged(t('10:11')), t('10:11')],
      [diagnosed(t('10:12')), t('10:12')],
      [remediating(t('10:13')), t('10:13')],
      [mitigated(t('10:14')), t('10:14')],
      [resolved(t('10:15')), t('10:15')],
    ];
    for (const [event, updatedAt] of table)
      assert.equal(fold([opened(), event]).updatedAt, updatedAt, event.type);
    assert.equal(fold([...history.resolved, reopened(t('11:11'))]).updatedAt, t('11:11'));
  });

  it('leaves none unchanged for every event type but IncidentOpened', () => {
    const others = oneOfEach.filter((e) => e.type !== 'IncidentOpened');
    assert.equal(others.length, INCIDENT_EVENT_TYPES.length - 1);
    for (const event of others)
      assert.deepEqual(evolve(initialIncident, event), { status: 'none' }, event.type);
  });

  it('ignores a second IncidentOpened', () => {
    const state = foldIncident(history.mitigated);
    assert.equal(evolve(state, opened({ title: 'Other', severity: 'SEV1' })), state);
  });

  it('ignores an event type it does not know', () => {
    const state = foldIncident(history.mitigated);
    const unknown = { type: 'IncidentTeleported', data: { incidentId: ID } } as unknown as IncidentEvent;
    assert.equal(evolve(state, unknown), state);
  });

  it('does not mutate the state it is given (frozen throughout)', () => {
    let state: Incident = deepFreeze(initialIncident);
    for (const event of oneOfEach) state = deepFreeze(evolve(state, deepFreeze(event)));
    assert.equal(state.status, 'triggered');
  });

  it('folds to plain JSON', () => {
    const state = foldIncident(oneOfEach);
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
  });

  it('folds what decide decided: a full command script', () => {
    let events: IncidentEvent[] = [];
    const send = (c: Parameters<typeof command>[0], now: string, actor = 'bob'): void => {
      events = [...events, ...decide(command(c, now, actor), foldIncident(events))];
    };
    send(
      {
        type: 'OpenIncident',
        data: { incidentId: ID, title: 'T', service: 's', severity: 'SEV2', impactStartedAt: t('09:50') },
      },
      t('10:00'),
    );
    send({ type: 'StartRemediation', data: { incidentId: ID, action: 'Roll back' } }, t('10:04'), 'dana');
    send({ type: 'MitigateIncident', data: { incidentId: ID } }, t('10:20'));
    send({ type: 'ResolveIncident', data: { incidentId: ID } }, t('10:40'));
    send({ type: 'ReopenIncident', data: { incidentId: ID } }, t('11:00'));
    send({ type: 'AcknowledgeIncident', data: { incidentId: ID } }, t('11:02'), 'erin');
    send({ type: 'AcknowledgeIncident', data: { incidentId: ID } }, t('11:03'), 'erin');
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'IncidentOpened',
        'IncidentAcknowledged',
        'IncidentRemediationStarted',
        'IncidentMitigated',
        'IncidentResolved',
        'IncidentReopened',
        'IncidentAcknowledged',
      ],
    );
    const state = fold(events);
    assert.equal(state.status, 'acknowledged');
    assert.equal(state.milestones.acknowledgedAt, t('10:04'));
    assert.equal(state.reopenCount, 1);
  });
});

describe('INCIDENT_EVENT_TYPES', () => {
  it('lists every event type once', () => {
    assert.deepEqual([...INCIDENT_EVENT_TYPES].sort(), [...new Set(oneOfEach.map((e) => e.type))].sort());
    assert.equal(new Set(INCIDENT_EVENT_TYPES).size, 16);
  });
});
