import type { Actor, IncidentRole, Milestone, Severity, Source } from './types.js';

/** Everything a decision may know besides state: the time and who is asking, through which door. */
export type CommandMetadata = { now: string; actor: Actor; source: Source };

export type OpenIncident = {
  type: 'OpenIncident';
  data: {
    incidentId: string;
    title: string;
    service: string;
    severity: Severity;
    summary?: string;
    /** Defaults to `metadata.now`; must not be later than it. */
    impactStartedAt?: string;
  };
  metadata: CommandMetadata;
};

export type AcknowledgeIncident = {
  type: 'AcknowledgeIncident';
  data: { incidentId: string };
  metadata: CommandMetadata;
};

export type AssignIncidentRole = {
  type: 'AssignIncidentRole';
  data: { incidentId: string; role: IncidentRole; assignee: string };
  metadata: CommandMetadata;
};

export type ChangeIncidentSeverity = {
  type: 'ChangeIncidentSeverity';
  data: { incidentId: string; severity: Severity; reason?: string };
  metadata: CommandMetadata;
};

export type RecordDiagnosis = {
  type: 'RecordDiagnosis';
  data: { incidentId: string; diagnosis: string };
  metadata: CommandMetadata;
};

export type StartRemediation = {
  type: 'StartRemediation';
  data: { incidentId: string; action: string };
  metadata: CommandMetadata;
};

export type MitigateIncident = {
  type: 'MitigateIncident';
  data: { incidentId: string; summary?: string };
  metadata: CommandMetadata;
};

export type ResolveIncident = {
  type: 'ResolveIncident';
  data: { incidentId: string; summary?: string };
  metadata: CommandMetadata;
};

export type ReopenIncident = {
  type: 'ReopenIncident';
  data: { incidentId: string; reason?: string };
  metadata: CommandMetadata;
};

export type AddIncidentNote = {
  type: 'AddIncidentNote';
  data: { incidentId: string; text: string };
  metadata: CommandMetadata;
};

export type PostStatusUpdate = {
  type: 'PostStatusUpdate';
  data: { incidentId: string; message: string };
  metadata: CommandMetadata;
};

/** An alert joins the incident (the alert pipeline opens or finds the incident first). */
export type AttachAlert = {
  type: 'AttachAlert';
  data: {
    incidentId: string;
    integrationId: string;
    alertKey: string;
    source: string;
    summary: string;
    severity: Severity;
    startsAt: string;
  };
  metadata: CommandMetadata;
};

export type CorrectMilestone = {
  type: 'CorrectMilestone';
  /** `to` is an ISO-8601 timestamp with a time zone (`Z` or `±hh:mm`). */
  data: { incidentId: string; milestone: Milestone; to: string; reason: string };
  metadata: CommandMetadata;
};

export type IncidentCommand =
  | OpenIncident
  | AcknowledgeIncident
  | AssignIncidentRole
  | ChangeIncidentSeverity
  | RecordDiagnosis
  | StartRemediation
  | MitigateIncident
  | ResolveIncident
  | ReopenIncident
  | AddIncidentNote
  | PostStatusUpdate
  | AttachAlert
  | CorrectMilestone;

export type IncidentCommandType = IncidentCommand['type'];
