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
  | MilestoneCorrected;

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
};

export const INCIDENT_EVENT_TYPES: readonly IncidentEventType[] = Object.freeze(Object.values(eventTypes));
