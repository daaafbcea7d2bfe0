import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IncidentCommand } from './commands.js';
import { decide } from './decide.js';
import { IncidentError, incidentErrorStatus } from './errors.js';
import type { IncidentErrorCode } from './errors.js';
import type { IncidentEvent } from './events.js';
import { foldIncident } from './evolve.js';
import { command, deepFreeze, history, ID, NOW, opened, t } from './spec-fixtures.js';
import type { Milestone } from './types.js';

type Case = {
  name: string;
  given: IncidentEvent[];
  when: IncidentCommand;
  then: IncidentEvent[] | IncidentErrorCode;
};

const run = ({ given, when, then }: Case): void => {
  // Frozen inputs: a decision that mutated state or command would throw here.
  const state = deepFreeze(foldIncident(given));
  const cmd = deepFreeze(when);
  if (typeof then === 'string') {
    assert.throws(
      () => decide(cmd, state),
      (error: unknown) => {
        assert.ok(error instanceof IncidentError, `expected IncidentError, got ${String(error)}`);
        assert.equal(error.code, then);
        return true;
      },
    );
  } else {
    assert.deepEqual(decide(cmd, state), then);
  }
};

/** The acknowledgement bob's command implies, at NOW. */
const implicitAck: IncidentEvent = {
  type: 'IncidentAcknowledged',
  data: { incidentId: ID, acknowledgedBy: 'bob', acknowledgedAt: NOW },
};

const correct = (milestone: Milestone, to: string): IncidentCommand =>
  command({ type: 'CorrectMilestone', data: { incidentId: ID, milestone, to, reason: 'alert fired late' } });

const milestoneCorrected = (milestone: Milestone, from: string, to: string): IncidentEvent => ({
  type: 'MilestoneCorrected',
  data: { incidentId: ID, milestone, from, to, reason: 'alert fired late', correctedBy: 'bob' },
});

const open = (
  data: Partial<Extract<IncidentCommand, { type: 'OpenIncident' }>['data']> = {},
): IncidentCommand =>
  command({
    type: 'OpenIncident',
    data: { incidentId: ID, title: 'Checkout errors', service: 'checkout', severity: 'SEV2', ...data },
  });

const everyCommandButOpen: IncidentCommand[] = [
  command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }),
  command({ type: 'AssignIncidentRole', data: { incidentId: ID, role: 'commander', assignee: 'dana' } }),
  command({ type: 'ChangeIncidentSeverity', data: { incidentId: ID, severity: 'SEV1' } }),
  command({ type: 'RecordDiagnosis', data: { incidentId: ID, diagnosis: 'Bad deploy' } }),
  command({ type: 'StartRemediation', data: { incidentId: ID, action: 'Roll back' } }),
  command({ type: 'MitigateIncident', data: { incidentId: ID } }),
  command({ type: 'ResolveIncident', data: { incidentId: ID } }),
  command({ type: 'ReopenIncident', data: { incidentId: ID } }),
  command({ type: 'AddIncidentNote', data: { incidentId: ID, text: 'Paged the DBA' } }),
  command({ type: 'PostStatusUpdate', data: { incidentId: ID, message: 'Investigating' } }),
  correct('impactStarted', t('09:00')),
];

const cases: Record<string, Case[]> = {
  OpenIncident: [
    {
      name: 'opens a new incident; impact starts and detection happens now by default',
      given: [],
      when: open(),
      then: [
        {
          type: 'IncidentOpened',
          data: {
            incidentId: ID,
            title: 'Checkout errors',
            service: 'checkout',
            severity: 'SEV2',
            summary: null,
            impactStartedAt: NOW,
            detectedAt: NOW,
            openedBy: 'bob',
          },
        },
      ],
    },
    {
      name: 'keeps the summary and an earlier impact start, normalised to ISO form',
      given: [],
      when: open({ summary: '5xx on /pay', impactStartedAt: '2026-01-01T12:40:00+01:00' }),
      then: [
        {
          type: 'IncidentOpened',
          data: {
            incidentId: ID,
            title: 'Checkout errors',
            service: 'checkout',
            severity: 'SEV2',
            summary: '5xx on /pay',
            impactStartedAt: t('11:40'),
            detectedAt: NOW,
            openedBy: 'bob',
          },
        },
      ],
    },
    {
      name: 'refuses an incident that already exists',
      given: history.triggered,
      when: open(),
      then: 'IncidentAlreadyExists',
    },
    {
      name: 'refuses to reuse the id of a resolved incident',
      given: history.resolved,
      when: open(),
      then: 'IncidentAlreadyExists',
    },
    {
      name: 'refuses an impact start after detection (now)',
      given: [],
      when: open({ impactStartedAt: t('12:01') }),
      then: 'MilestoneOrderViolated',
    },
    {
      name: 'refuses an impact start that is not an ISO-8601 timestamp',
      given: [],
      when: open({ impactStartedAt: 'an hour ago' }),
      then: 'InvalidMilestone',
    },
  ],
  'any command before the incident exists': everyCommandButOpen.map((when) => ({
    name: `${when.type} → IncidentNotFound`,
    given: [],
    when,
    then: 'IncidentNotFound' as const,
  })),
  AcknowledgeIncident: [
    {
      name: 'acknowledges a triggered incident',
      given: history.triggered,
      when: command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }),
      then: [implicitAck],
    },
    ...(['acknowledged', 'investigating', 'mitigated'] as const).map((status) => ({
      name: `a repeat click on an ${status} incident is a no-op`,
      given: history[status],
      when: command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }),
      then: [],
    })),
    {
      name: 'acknowledges again after a reopen',
      given: history.reopened,
      when: command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }),
      then: [implicitAck],
    },
    {
      name: 'refuses a resolved incident',
      given: history.resolved,
      when: command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }),
      then: 'IncidentNotOpen',
    },
  ],
  AssignIncidentRole: [
    {
      name: 'assigns a role nobody holds',
      given: history.triggered,
      when: command({
        type: 'AssignIncidentRole',
        data: { incidentId: ID, role: 'commander', assignee: 'dana' },
      }),
      then: [
        {
          type: 'IncidentRoleAssigned',
          data: { incidentId: ID, role: 'commander', assignee: 'dana', previous: null },
        },
      ],
    },
    {
      name: 'hands a role over, naming the previous holder',
      given: [
        ...history.acknowledged,
        {
          type: 'IncidentRoleAssigned',
          data: { incidentId: ID, role: 'communications', assignee: 'erin', previous: null },
        },
      ],
      when: command({
        type: 'AssignIncidentRole',
        data: { incidentId: ID, role: 'communications', assignee: 'dana' },
      }),
      then: [
        {
          type: 'IncidentRoleAssigned',
          data: { incidentId: ID, role: 'communications', assignee: 'dana', previous: 'erin' },
        },
      ],
    },
    {
      name: 'assigning the current holder again is a no-op',
      given: [
        ...history.mitigated,
        {
          type: 'IncidentRoleAssigned',
          data: { incidentId: ID, role: 'commander', assignee: 'dana', previous: null },
        },
      ],
      when: command({
        type: 'AssignIncidentRole',
        data: { incidentId: ID, role: 'commander', assignee: 'dana' },
      }),
      then: [],
    },
    {
      name: 'refuses a resolved incident',
      given: history.resolved,
      when: command({
        type: 'AssignIncidentRole',
        data: { incidentId: ID, role: 'commander', assignee: 'dana' },
      }),
      then: 'IncidentNotOpen',
    },
  ],
  ChangeIncidentSeverity: [
    {
      name: 'changes severity with a reason',
      given: history.investigating,
      when: command({
        type: 'ChangeIncidentSeverity',
        data: { incidentId: ID, severity: 'SEV1', reason: 'customers affected' },
      }),
      then: [
        {
          type: 'IncidentSeverityChanged',
          data: { incidentId: ID, from: 'SEV3', to: 'SEV1', reason: 'customers affected' },
        },
      ],
    },
    {
      name: 'records a missing reason as null',
      given: history.triggered,
      when: command({ type: 'ChangeIncidentSeverity', data: { incidentId: ID, severity: 'SEV4' } }),
      then: [
        { type: 'IncidentSeverityChanged', data: { incidentId: ID, from: 'SEV3', to: 'SEV4', reason: null } },
      ],
    },
    {
      name: 'the same severity is a no-op',
      given: history.triggered,
      when: command({ type: 'ChangeIncidentSeverity', data: { incidentId: ID, severity: 'SEV3' } }),
      then: [],
    },
    {
      name: 'refuses a resolved incident',
      given: history.resolved,
      when: command({ type: 'ChangeIncidentSeverity', data: { incidentId: ID, severity: 'SEV1' } }),
      then: 'IncidentNotOpen',
    },
  ],
  RecordDiagnosis: [
    {
      name: 'on a triggered incident, acknowledges it first (implicitly, same actor)',
      given: history.triggered,
      when: command({ type: 'RecordDiagnosis', data: { incidentId: ID, diagnosis: 'Bad deploy' } }),
      then: [
        implicitAck,
        {
          type: 'IncidentDiagnosisRecorded',
          data: { incidentId: ID, diagnosis: 'Bad deploy', recordedBy: 'bob', recordedAt: NOW },
        },
      ],
    },
    {
      name: 'on an acknowledged incident, records only the diagnosis',
      given: history.acknowledged,
      when: command({ type: 'RecordDiagnosis', data: { incidentId: ID, diagnosis: 'Bad deploy' } }),
      then: [
        {
          type: 'IncidentDiagnosisRecorded',
          data: { incidentId: ID, diagnosis: 'Bad deploy', recordedBy: 'bob', recordedAt: NOW },
        },
      ],
    },
    {
      name: 'refuses a resolved incident',
      given: history.resolved,
      when: command({ type: 'RecordDiagnosis', data: { incidentId: ID, diagnosis: 'Bad deploy' } }),
      then: 'IncidentNotOpen',
    },
  ],
  StartRemediation: [
    {
      name: 'on a triggered incident (after a reopen), acknowledges it first',
      given: history.reopened,
      when: command({ type: 'StartRemediation', data: { incidentId: ID, action: 'Roll back' } }),
      then: [
        implicitAck,
        {
          type: 'IncidentRemediationStarted',
          data: { incidentId: ID, action: 'Roll back', startedBy: 'bob', startedAt: NOW },
        },
      ],
    },
    {
      name: 'on an investigating incident, records only the remediation',
      given: history.investigating,
      when: command({ type: 'StartRemediation', data: { incidentId: ID, action: 'Roll back' } }),
      then: [
        {
          type: 'IncidentRemediationStarted',
          data: { incidentId: ID, action: 'Roll back', startedBy: 'bob', startedAt: NOW },
        },
      ],
    },
    {
      name: 'refuses a resolved incident',
      given: history.resolved,
      when: command({ type: 'StartRemediation', data: { incidentId: ID, action: 'Roll back' } }),
      then: 'IncidentNotOpen',
    },
  ],
  MitigateIncident: [
    {
      name: 'on a triggered incident, acknowledges it first; a missing summary is null',
      given: history.triggered,
      when: command({ type: 'MitigateIncident', data: { incidentId: ID } }),
      then: [
        implicitAck,
        {
          type: 'IncidentMitigated',
          data: { incidentId: ID, mitigatedBy: 'bob', mitigatedAt: NOW, summary: null },
        },
      ],
    },
    {
      name: 'mitigates an investigating incident with a summary',
      given: history.investigating,
      when: command({ type: 'MitigateIncident', data: { incidentId: ID, summary: 'Traffic drained' } }),
      then: [
        {
          type: 'IncidentMitigated',
          data: { incidentId: ID, mitigatedBy: 'bob', mitigatedAt: NOW, summary: 'Traffic drained' },
        },
      ],
    },
    {
      name: 'refuses an incident already mitigated',
      given: history.mitigated,
      when: command({ type: 'MitigateIncident', data: { incidentId: ID } }),
      then: 'IncidentAlreadyMitigated',
    },
    {
      name: 'refuses a resolved incident',
      given: history.resolved,
      when: command({ type: 'MitigateIncident', data: { incidentId: ID } }),
      then: 'IncidentNotOpen',
    },
  ],
  ResolveIncident: [
    {
      name: 'resolves a triggered incident without implying an acknowledgement',
      given: history.triggered,
      when: command({ type: 'ResolveIncident', data: { incidentId: ID } }),
      then: [
        {
          type: 'IncidentResolved',
          data: { incidentId: ID, resolvedBy: 'bob', resolvedAt: NOW, summary: null },
        },
      ],
    },
    {
      name: 'resolves a mitigated incident with a summary',
      given: history.mitigated,
      when: command({ type: 'ResolveIncident', data: { incidentId: ID, summary: 'Pool resized' } }),
      then: [
        {
          type: 'IncidentResolved',
          data: { incidentId: ID, resolvedBy: 'bob', resolvedAt: NOW, summary: 'Pool resized' },
        },
      ],
    },
    {
      name: 'refuses an incident already resolved',
      given: history.resolved,
      when: command({ type: 'ResolveIncident', data: { incidentId: ID } }),
      then: 'IncidentAlreadyResolved',
    },
  ],
  ReopenIncident: [
    {
      name: 'reopens a resolved incident',
      given: history.resolved,
      when: command({ type: 'ReopenIncident', data: { incidentId: ID, reason: 'Errors are back' } }),
      then: [
        {
          type: 'IncidentReopened',
          data: { incidentId: ID, reopenedBy: 'bob', reopenedAt: NOW, reason: 'Errors are back' },
        },
      ],
    },
    ...(['triggered', 'mitigated', 'reopened'] as const).map((given) => ({
      name: `refuses an incident that is not resolved (${given})`,
      given: history[given],
      when: command({ type: 'ReopenIncident', data: { incidentId: ID } }),
      then: 'IncidentNotResolved' as const,
    })),
  ],
  AddIncidentNote: (['triggered', 'mitigated', 'resolved'] as const).map((given) => ({
    name: `adds a note to a ${given} incident`,
    given: history[given],
    when: command({ type: 'AddIncidentNote', data: { incidentId: ID, text: 'Paged the DBA' } }),
    then: [
      {
        type: 'IncidentNoteAdded',
        data: { incidentId: ID, text: 'Paged the DBA', author: 'bob', addedAt: NOW },
      },
    ],
  })),
  PostStatusUpdate: (['investigating', 'resolved'] as const).map((given) => ({
    name: `posts a status update on a ${given} incident`,
    given: history[given],
    when: command({ type: 'PostStatusUpdate', data: { incidentId: ID, message: 'All clear' } }),
    then: [
      {
        type: 'IncidentStatusUpdatePosted',
        data: { incidentId: ID, message: 'All clear', postedBy: 'bob', postedAt: NOW },
      },
    ],
  })),
  // Fixture milestones: impact 10:00, detected 10:05, acknowledged 10:10, mitigated 10:30, resolved 10:50.
  CorrectMilestone: [
    {
      name: 'corrects impact start to earlier, from its current effective value',
      given: history.resolved,
      when: correct('impactStarted', t('09:40')),
      then: [milestoneCorrected('impactStarted', t('10:00'), t('09:40'))],
    },
    {
      name: 'normalises an offset timestamp to UTC ISO form',
      given: history.triggered,
      when: correct('detected', '2026-01-01T11:08:00+01:00'),
      then: [milestoneCorrected('detected', t('10:05'), t('10:08'))],
    },
    {
      name: 'corrects the resolution within the order',
      given: history.resolved,
      when: correct('resolved', t('10:45')),
      then: [milestoneCorrected('resolved', t('10:50'), t('10:45'))],
    },
    {
      name: 'reports "from" as the current effective value after an earlier correction',
      given: [...history.triggered, { ...milestoneCorrected('impactStarted', t('10:00'), t('09:40')) }],
      when: correct('impactStarted', t('09:30')),
      then: [milestoneCorrected('impactStarted', t('09:40'), t('09:30'))],
    },
    {
      name: 'after a reopen, corrects the first acknowledgement (the one MTTA uses)',
      given: [
        ...history.reopened,
        {
          type: 'IncidentAcknowledged',
          data: { incidentId: ID, acknowledgedBy: 'carol', acknowledgedAt: t('11:05') },
        },
      ],
      when: correct('acknowledged', t('10:08')),
      then: [milestoneCorrected('acknowledged', t('10:10'), t('10:08'))],
    },
    {
      name: 'the same instant (in another notation) is a no-op',
      given: history.resolved,
      when: correct('impactStarted', '2026-01-01T11:00:00+01:00'),
      then: [],
    },
    {
      name: 'may happen on a resolved incident (post-incident review)',
      given: history.resolved,
      when: correct('mitigated', t('10:29')),
      then: [milestoneCorrected('mitigated', t('10:30'), t('10:29'))],
    },
    {
      name: 'refuses a milestone that never happened (acknowledged)',
      given: history.triggered,
      when: correct('acknowledged', t('10:06')),
      then: 'InvalidMilestone',
    },
    {
      name: 'refuses a milestone that never happened (mitigated)',
      given: history.acknowledged,
      when: correct('mitigated', t('10:20')),
      then: 'InvalidMilestone',
    },
    {
      name: 'refuses a milestone that never happened (resolved)',
      given: history.mitigated,
      when: correct('resolved', t('10:40')),
      then: 'InvalidMilestone',
    },
    {
      name: 'refuses a mitigation that was cleared by a reopen',
      given: history.reopened,
      when: correct('mitigated', t('10:20')),
      then: 'InvalidMilestone',
    },
    {
      name: 'refuses a mitigation on an incident resolved without one',
      given: history.resolvedUnacknowledged,
      when: correct('mitigated', t('10:20')),
      then: 'InvalidMilestone',
    },
    {
      name: 'refuses an unknown milestone',
      given: history.resolved,
      when: correct('fixed' as Milestone, t('10:20')),
      then: 'InvalidMilestone',
    },
    ...[
      'yesterday',
      '',
      '2026-01-01 10:00',
      '2026-01-01T10:00:00',
      '2026-02-30T10:00:00Z',
      '2026-01-01T24:00:00Z',
    ].map((to) => ({
      name: `refuses a "to" that is not an ISO-8601 timestamp with a zone: ${JSON.stringify(to)}`,
      given: history.resolved,
      when: correct('impactStarted', to),
      then: 'InvalidMilestone' as const,
    })),
    {
      name: 'refuses a "to" in the future',
      given: history.resolved,
      when: correct('resolved', t('12:01')),
      then: 'InvalidMilestone',
    },
    ...(
      [
        ['impactStarted', t('10:06'), 'after detected'],
        ['detected', t('09:59'), 'before impact started'],
        ['detected', t('10:11'), 'after acknowledged'],
        ['acknowledged', t('10:04'), 'before detected'],
        ['acknowledged', t('10:51'), 'after resolved'],
        ['mitigated', t('10:04'), 'before detected'],
        ['mitigated', t('10:51'), 'after resolved'],
        ['resolved', t('10:29'), 'before mitigated'],
        ['resolved', t('10:09'), 'before acknowledged'],
      ] as const
    ).map(([milestone, to, why]) => ({
      name: `refuses ${milestone} → ${to}: ${why}`,
      given: history.resolved,
      when: correct(milestone, to),
      then: 'MilestoneOrderViolated' as const,
    })),
    {
      name: 'checks detected ≤ resolved even when acknowledged and mitigated have no value',
      given: history.resolvedUnacknowledged,
      when: correct('detected', t('10:55')),
      then: 'MilestoneOrderViolated',
    },
    {
      name: 'with the milestones in between missing, only the present ones constrain',
      given: history.resolvedUnacknowledged,
      when: correct('resolved', t('10:06')),
      then: [milestoneCorrected('resolved', t('10:50'), t('10:06'))],
    },
  ],
};

describe('decide', () => {
  for (const [group, table] of Object.entries(cases)) {
    describe(group, () => {
      for (const c of table) it(c.name, () => run(c));
    });
  }

  it('covers every command type', () => {
    const covered = new Set(Object.values(cases).flatMap((table) => table.map((c) => c.when.type)));
    assert.deepEqual(
      [...covered].sort(),
      [...new Set(['OpenIncident', ...everyCommandButOpen.map((c) => c.type)])].sort(),
    );
    assert.equal(covered.size, 12);
  });

  it('covers every error code', () => {
    const covered = new Set(
      Object.values(cases).flatMap((table) => table.map((c) => c.then).filter((t) => typeof t === 'string')),
    );
    // The escalation commands' refusals are covered in escalation.spec.ts.
    const escalation = ['EscalationStopped', 'EscalationStepStale', 'InvalidEscalationStep'];
    assert.deepEqual(
      [...covered].sort(),
      Object.keys(HTTP_STATUS)
        .filter((code) => !escalation.includes(code))
        .sort(),
    );
  });

  it('an action on a triggered incident leaves it acknowledged by the same actor, then investigating', () => {
    const state = foldIncident(history.triggered);
    const events = decide(
      command({ type: 'RecordDiagnosis', data: { incidentId: ID, diagnosis: 'x' } }, t('10:20'), 'dana'),
      state,
    );
    const after = foldIncident([...history.triggered, ...events]);
    assert.equal(after.status, 'investigating');
    assert.equal(after.milestones.acknowledgedAt, t('10:20'));
    assert.deepEqual(events[0], {
      type: 'IncidentAcknowledged',
      data: { incidentId: ID, acknowledgedBy: 'dana', acknowledgedAt: t('10:20') },
    });
  });

  it('explains a refusal precisely', () => {
    const resolved = foldIncident(history.resolved);
    assert.throws(
      () => decide(command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }), resolved),
      {
        name: 'IncidentError',
        code: 'IncidentNotOpen',
        message: 'Incident inc-1 is resolved; reopen it before acknowledging',
      },
    );
    assert.throws(() => decide(correct('detected', t('10:11')), resolved), {
      code: 'MilestoneOrderViolated',
      message:
        /^Correcting detected to 2026-01-01T10:11:00\.000Z would put it after acknowledged \(2026-01-01T10:10:00\.000Z\)/,
    });
    assert.throws(
      () => decide(command({ type: 'AcknowledgeIncident', data: { incidentId: 'inc-9' } }), foldIncident([])),
      {
        code: 'IncidentNotFound',
        message: 'Incident inc-9 does not exist',
      },
    );
  });

  it('refuses an unknown command type at runtime', () => {
    const bogus = { ...command({ type: 'AcknowledgeIncident', data: { incidentId: ID } }), type: 'Bogus' };
    assert.throws(
      () => decide(bogus as unknown as IncidentCommand, foldIncident(history.triggered)),
      /Unknown incident command/,
    );
  });

  it('produces events that survive a JSON round trip unchanged', () => {
    const events = decide(open({ summary: 's', impactStartedAt: t('11:00') }), foldIncident([]));
    assert.equal(events.length, 1);
    assert.deepEqual(JSON.parse(JSON.stringify(events)), events);
  });

  it('produces IncidentOpened with the same fields as the fixtures use', () => {
    const [event] = decide(open({ impactStartedAt: t('10:00') }), foldIncident([]));
    assert.deepEqual(Object.keys(event!.data).sort(), Object.keys(opened().data).sort());
  });
});

const HTTP_STATUS: Record<IncidentErrorCode, number> = {
  IncidentNotFound: 404,
  IncidentAlreadyExists: 409,
  IncidentNotOpen: 409,
  IncidentAlreadyResolved: 409,
  IncidentAlreadyMitigated: 409,
  IncidentNotResolved: 409,
  InvalidMilestone: 422,
  MilestoneOrderViolated: 422,
  EscalationStopped: 409,
  EscalationStepStale: 409,
  InvalidEscalationStep: 422,
};

describe('incidentErrorStatus', () => {
  for (const [code, status] of Object.entries(HTTP_STATUS)) {
    it(`maps ${code} to ${status}`, () =>
      assert.equal(incidentErrorStatus(code as IncidentErrorCode), status));
  }
});

describe('AttachAlert', () => {
  const data = {
    incidentId: ID,
    integrationId: 'int-1',
    alertKey: 'db/disk',
    source: 'pagerduty',
    summary: 'Disk 99%',
    severity: 'SEV2' as const,
    startsAt: t('09:55'),
  };
  it('attaches an alert to an open incident', () => {
    run({
      name: 'attach',
      given: history.triggered,
      when: command({ type: 'AttachAlert', data }),
      then: [{ type: 'AlertAttached', data: { ...data, attachedAt: NOW } }],
    });
  });
  it('refuses a resolved incident and a missing one', () => {
    run({
      name: 'resolved',
      given: history.resolved,
      when: command({ type: 'AttachAlert', data }),
      then: 'IncidentNotOpen',
    });
    run({ name: 'none', given: [], when: command({ type: 'AttachAlert', data }), then: 'IncidentNotFound' });
  });
});
