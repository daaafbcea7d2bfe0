import type { EscalationTargetOutcome, EscalationTargetRef, EscalationTrigger } from './events.js';
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

/** The policy a step runs under, as it stood at the version the escalation took. */
export type EscalationPolicyRef = {
  id: string;
  version: number;
  name: string;
  levels: number;
  repeats: number;
};

/**
 * Fire step `step` of escalation cycle `cycle` (the token: the decision refuses any other step than the next
 * one of the current cycle, and any step once the incident is acknowledged). The targets come resolved:
 * who was on call is the escalation engine's question, asked at `metadata.now`.
 */
export type StartEscalationStep = {
  type: 'StartEscalationStep';
  data: {
    incidentId: string;
    cycle: number;
    step: number;
    policy: EscalationPolicyRef;
    delayMinutes: number;
    targets: EscalationTargetOutcome[];
    trigger: EscalationTrigger;
    scheduledFor: string;
  };
  metadata: CommandMetadata;
};

/** After the last level's last repeat went unanswered; the same token as StartEscalationStep. */
export type ExhaustEscalation = {
  type: 'ExhaustEscalation';
  data: { incidentId: string; cycle: number; step: number; policy: EscalationPolicyRef };
  metadata: CommandMetadata;
};

/**
 * Page someone by hand, outside the policy (any open incident: asking for help after acknowledging is
 * normal). `target` names the user, or the schedule whose on-call user `userId` is.
 */
export type PageResponder = {
  type: 'PageResponder';
  data: {
    incidentId: string;
    target: EscalationTargetRef;
    userId: string;
    userName: string | null;
    slackUserId: string | null;
    explanation: string;
  };
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
  | CorrectMilestone
  | StartEscalationStep
  | ExhaustEscalation
  | PageResponder;

export type IncidentCommandType = IncidentCommand['type'];
