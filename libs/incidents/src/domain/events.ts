import type { IncidentRole, Milestone, Severity } from './types.js';

// Event `type` strings are permanent API: never rename or reuse one. Times are ISO-8601 strings and
// *By/author fields hold the acting actor's id.

export type IncidentOpened = {
  type: 'IncidentOpened';
  data: {
    incidentId: string;
    title: string;
    service: string;
    severity: Severity;
    summary: string | null;
    impactStartedAt: string;
    detectedAt: string;
    openedBy: string;
  };
};

export type IncidentAcknowledged = {
  type: 'IncidentAcknowledged';
  data: { incidentId: string; acknowledgedBy: string; acknowledgedAt: string };
};

export type IncidentRoleAssigned = {
  type: 'IncidentRoleAssigned';
  data: { incidentId: string; role: IncidentRole; assignee: string; previous: string | null };
};

/** Schema version 2: severities are 'SEV1'..'SEV4' (version 1 stored numeric levels; see upcasters). */
export type IncidentSeverityChanged = {
  type: 'IncidentSeverityChanged';
  data: { incidentId: string; from: Severity; to: Severity; reason: string | null };
};

export type IncidentDiagnosisRecorded = {
  type: 'IncidentDiagnosisRecorded';
  data: { incidentId: string; diagnosis: string; recordedBy: string; recordedAt: string };
};

export type IncidentRemediationStarted = {
  type: 'IncidentRemediationStarted';
  data: { incidentId: string; action: string; startedBy: string; startedAt: string };
};

export type IncidentMitigated = {
  type: 'IncidentMitigated';
  data: { incidentId: string; mitigatedBy: string; mitigatedAt: string; summary: string | null };
};

export type IncidentResolved = {
  type: 'IncidentResolved';
  data: { incidentId: string; resolvedBy: string; resolvedAt: string; summary: string | null };
};

export type IncidentReopened = {
  type: 'IncidentReopened';
  data: { incidentId: string; reopenedBy: string; reopenedAt: string; reason: string | null };
};

export type IncidentNoteAdded = {
  type: 'IncidentNoteAdded';
  data: { incidentId: string; text: string; author: string; addedAt: string };
};

export type IncidentStatusUpdatePosted = {
  type: 'IncidentStatusUpdatePosted';
  data: { incidentId: string; message: string; postedBy: string; postedAt: string };
};

/** An alert joined the incident; its repeats and resolution are facts of the alert group's stream. */
export type AlertAttached = {
  type: 'AlertAttached';
  data: {
    incidentId: string;
    integrationId: string;
    alertKey: string;
    source: string;
    summary: string;
    severity: Severity;
    startsAt: string;
    attachedAt: string;
  };
};

/** Nothing stored is edited: a correction is a new fact that changes the milestone's effective value. */
export type MilestoneCorrected = {
  type: 'MilestoneCorrected';
  data: {
    incidentId: string;
    milestone: Milestone;
    from: string | null;
    to: string;
    reason: string;
    correctedBy: string;
  };
};

/** Who or what an escalation level names, or a page by hand names: a Vigil user, a schedule, a Slack channel. */
export type EscalationTargetRef = { kind: 'user' | 'schedule' | 'channel'; id: string };

/** Why a target of a step paged nobody. */
export type NotPagedReason = 'nobody-on-call' | 'unknown-user' | 'unknown-schedule' | 'already-paged';

/**
 * What became of one target when a step fired: who it paged (a user, or a channel), or why it paged
 * nobody. `explanation` is one plain-English line for people.
 */
export type EscalationTargetOutcome =
  | {
      target: EscalationTargetRef;
      outcome: 'paged';
      /** Set for user and schedule targets, with the user's name and Slack id as they stood then. */
      userId: string | null;
      userName: string | null;
      slackUserId: string | null;
      /** Set for channel targets. */
      channelId: string | null;
      explanation: string;
    }
  | {
      target: EscalationTargetRef;
      outcome: 'not-paged';
      reason: NotPagedReason;
      /** For `already-paged`, and for a schedule whose rotation named someone it did not page. */
      userId: string | null;
      explanation: string;
    };

/** What started an escalation step: its timer, a person asking to escalate now, or the auditor repairing a stall. */
export type EscalationTrigger = 'timer' | 'manual' | 'auditor';

/**
 * One step of the escalation policy fired: a level's targets were paged (see the ResponderPaged events that
 * follow in the same append). `cycle` counts the incident's openings (0: first opened, n: after the n-th
 * reopen); `step` counts the steps of the cycle before this one, so level = step mod levels + 1 and repeat =
 * step div levels. The policy's shape (`levels`, `repeats`) is carried so the stream alone says what comes
 * next. `delayMs` is the lateness: how long after `scheduledFor` the step fired.
 */
export type EscalationStepStarted = {
  type: 'EscalationStepStarted';
  data: {
    incidentId: string;
    cycle: number;
    step: number;
    level: number;
    repeat: number;
    policyId: string;
    policyVersion: number;
    policyName: string;
    levels: number;
    repeats: number;
    /** This level's delay before the next step. */
    delayMinutes: number;
    targets: EscalationTargetOutcome[];
    trigger: EscalationTrigger;
    scheduledFor: string;
    firedAt: string;
    delayMs: number;
    /** When the next step (or the exhaustion) falls due unless the incident is acknowledged first. */
    nextStepAt: string;
  };
};

/**
 * Someone (or a Slack channel) was paged for the incident: exactly one of `userId` and `channelId` is set.
 * `level` and `step` are null for a page by hand, outside the policy. Notifying them (a Slack DM) is the
 * consumers' business.
 */
export type ResponderPaged = {
  type: 'ResponderPaged';
  data: {
    incidentId: string;
    level: number | null;
    step: number | null;
    cycle: number;
    userId: string | null;
    userName: string | null;
    slackUserId: string | null;
    channelId: string | null;
    via: EscalationTargetRef;
    explanation: string;
    pagedAt: string;
    pagedBy: string;
  };
};

/** Every level was paged `repeats + 1` times and nobody acknowledged: escalation of this cycle stops here. */
export type EscalationExhausted = {
  type: 'EscalationExhausted';
  data: {
    incidentId: string;
    cycle: number;
    step: number;
    policyId: string;
    policyVersion: number;
    levels: number;
    repeats: number;
    exhaustedAt: string;
  };
};

export type IncidentEvent =
  | IncidentOpened
  | IncidentAcknowledged
  | IncidentRoleAssigned
  | IncidentSeverityChanged
  | IncidentDiagnosisRecorded
  | IncidentRemediationStarted
  | IncidentMitigated
  | IncidentResolved
  | IncidentReopened
  | IncidentNoteAdded
  | IncidentStatusUpdatePosted
  | AlertAttached
  | MilestoneCorrected
  | EscalationStepStarted
  | ResponderPaged
  | EscalationExhausted;

export type IncidentEventType = IncidentEvent['type'];

// A mapped type rather than a hand-written array: adding an event to the union without listing it
// here (or listing a stray one) fails the build.
const eventTypes: { [T in IncidentEventType]: T } = {
  IncidentOpened: 'IncidentOpened',
  IncidentAcknowledged: 'IncidentAcknowledged',
  IncidentRoleAssigned: 'IncidentRoleAssigned',
  IncidentSeverityChanged: 'IncidentSeverityChanged',
  IncidentDiagnosisRecorded: 'IncidentDiagnosisRecorded',
  IncidentRemediationStarted: 'IncidentRemediationStarted',
  IncidentMitigated: 'IncidentMitigated',
  IncidentResolved: 'IncidentResolved',
  IncidentReopened: 'IncidentReopened',
  IncidentNoteAdded: 'IncidentNoteAdded',
  IncidentStatusUpdatePosted: 'IncidentStatusUpdatePosted',
  AlertAttached: 'AlertAttached',
  MilestoneCorrected: 'MilestoneCorrected',
  EscalationStepStarted: 'EscalationStepStarted',
  ResponderPaged: 'ResponderPaged',
  EscalationExhausted: 'EscalationExhausted',
};

export const INCIDENT_EVENT_TYPES: readonly IncidentEventType[] = Object.freeze(Object.values(eventTypes));
