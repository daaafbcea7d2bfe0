import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IncidentEvent } from './events.js';
import { INCIDENT_EVENT_TYPES } from './events.js';
import { ID, acknowledged, corrected, opened, reopened, resolved, t } from './spec-fixtures.js';
import { describeEvent } from './timeline.js';

const table: [IncidentEvent, string][] = [
  [opened(), 'Opened as SEV3 on checkout by alice: Checkout errors'],
  [acknowledged(t('10:10'), 'alice'), 'Acknowledged by alice'],
  [
    {
      type: 'IncidentRoleAssigned',
      data: { incidentId: ID, role: 'commander', assignee: 'dana', previous: null },
    },
    'Commander assigned to dana',
  ],
  [
    {
      type: 'IncidentRoleAssigned',
      data: { incidentId: ID, role: 'communications', assignee: 'dana', previous: 'erin' },
    },
    'Communications lead changed from erin to dana',
  ],
  [
    {
      type: 'IncidentSeverityChanged',
      data: { incidentId: ID, from: 'SEV3', to: 'SEV1', reason: 'customers affected' },
    },
    'Severity changed from SEV3 to SEV1: customers affected',
  ],
  [
    { type: 'IncidentSeverityChanged', data: { incidentId: ID, from: 'SEV1', to: 'SEV2', reason: null } },
    'Severity changed from SEV1 to SEV2',
  ],
  [
    {
      type: 'IncidentDiagnosisRecorded',
      data: { incidentId: ID, diagnosis: 'Bad deploy', recordedBy: 'bob', recordedAt: t('10:20') },
    },
    'Diagnosis recorded by bob: Bad deploy',
  ],
  [
    {
      type: 'IncidentRemediationStarted',
      data: { incidentId: ID, action: 'Roll back', startedBy: 'bob', startedAt: t('10:20') },
    },
    'Remediation started by bob: Roll back',
  ],
  [
    {
      type: 'IncidentMitigated',
      data: { incidentId: ID, mitigatedBy: 'bob', mitigatedAt: t('10:30'), summary: 'Traffic drained' },
    },
    'Mitigated by bob: Traffic drained',
  ],
  [resolved(t('10:50'), 'bob'), 'Resolved by bob'],
  [reopened(t('11:00'), 'carol'), 'Reopened by carol'],
  [
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
    'Alert from pagerduty attached (SEV2): Disk at 99%',
  ],
  [
    {
      type: 'IncidentNoteAdded',
      data: { incidentId: ID, text: 'Paged the DBA.\n\nShe is on it.', author: 'bob', addedAt: t('10:21') },
    },
    'Note added by bob: Paged the DBA. She is on it.',
  ],
  [
    {
      type: 'IncidentStatusUpdatePosted',
      data: { incidentId: ID, message: 'All clear', postedBy: 'bob', postedAt: t('11:00') },
    },
    'Status update posted by bob: All clear',
  ],
  [
    corrected('impactStarted', '2026-01-01T10:00:00.000Z', '2026-01-01T09:40:00.000Z'),
    'Impact started corrected from 2026-01-01T10:00:00.000Z to 2026-01-01T09:40:00.000Z: alert fired late',
  ],
  [
    {
      type: 'EscalationStepStarted',
      data: {
        incidentId: ID,
        cycle: 0,
        step: 3,
        level: 2,
        repeat: 1,
        policyId: 'pol-1',
        policyVersion: 2,
        policyName: 'Checkout',
        levels: 2,
        repeats: 1,
        delayMinutes: 5,
        targets: [
          {
            target: { kind: 'user', id: 'u-1' },
            outcome: 'paged',
            userId: 'u-1',
            userName: 'Dana',
            slackUserId: null,
            channelId: null,
            explanation: 'Named in level 2',
          },
          {
            target: { kind: 'schedule', id: 's-1' },
            outcome: 'not-paged',
            reason: 'nobody-on-call',
            userId: null,
            explanation: 'Nobody on call',
          },
        ],
        trigger: 'auditor',
        scheduledFor: t('10:20'),
        firedAt: t('10:21'),
        delayMs: 60_000,
        nextStepAt: t('10:26'),
      },
    },
    'Escalated to level 2, repeat 1 of Checkout v2 by the auditor (60 s late): 1 of 2 targets paged',
  ],
  [
    {
      type: 'ResponderPaged',
      data: {
        incidentId: ID,
        level: 1,
        step: 0,
        cycle: 0,
        userId: 'u-1',
        userName: 'Dana',
        slackUserId: 'UDANA',
        channelId: null,
        via: { kind: 'schedule', id: 'Primary' },
        explanation: 'On call in schedule Primary',
        pagedAt: t('10:05'),
        pagedBy: 'escalation',
      },
    },
    'Paged Dana at level 1: On call in schedule Primary',
  ],
  [
    {
      type: 'EscalationExhausted',
      data: {
        incidentId: ID,
        cycle: 0,
        step: 4,
        policyId: 'pol-1',
        policyVersion: 2,
        levels: 2,
        repeats: 1,
        exhaustedAt: t('10:30'),
      },
    },
    'Escalation exhausted: 2 levels paged 2 times without an acknowledgement',
  ],
];

describe('describeEvent', () => {
  for (const [event, line] of table) it(line, () => assert.equal(describeEvent(event), line));

  it('has a line for every event type', () => {
    assert.deepEqual([...new Set(table.map(([e]) => e.type))].sort(), [...INCIDENT_EVENT_TYPES].sort());
  });
});
