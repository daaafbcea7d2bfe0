import type {
  AcknowledgeIncident,
  AddIncidentNote,
  AssignIncidentRole,
  AttachAlert,
  ChangeIncidentSeverity,
  CommandMetadata,
  CorrectMilestone,
  IncidentCommand,
  MitigateIncident,
  OpenIncident,
  PostStatusUpdate,
  RecordDiagnosis,
  ReopenIncident,
  ResolveIncident,
  StartRemediation,
} from './commands.js';
import { IncidentError } from './errors.js';
import { exhaustEscalation, pageResponder, startEscalationStep } from './escalation-decide.js';
import type { IncidentAcknowledged, IncidentEvent } from './events.js';
import { MILESTONE_FIELD, MILESTONES } from './types.js';
import type { Incident, IncidentMilestones, Milestone, OpenedIncident, ResolvedIncident } from './types.js';

/** Decides which events a command produces against the current state, or throws IncidentError. */
export const decide = (command: IncidentCommand, state: Incident): IncidentEvent[] => {
  switch (command.type) {
    case 'OpenIncident':
      return open(command, state);
    case 'AcknowledgeIncident':
      return acknowledge(command, state);
    case 'AssignIncidentRole':
      return assignRole(command, state);
    case 'ChangeIncidentSeverity':
      return changeSeverity(command, state);
    case 'RecordDiagnosis':
      return recordDiagnosis(command, state);
    case 'StartRemediation':
      return startRemediation(command, state);
    case 'MitigateIncident':
      return mitigate(command, state);
    case 'ResolveIncident':
      return resolve(command, state);
    case 'ReopenIncident':
      return reopen(command, state);
    case 'AddIncidentNote':
      return addNote(command, state);
    case 'PostStatusUpdate':
      return postStatusUpdate(command, state);
    case 'AttachAlert':
      return attachAlert(command, state);
    case 'CorrectMilestone':
      return correctMilestone(command, state);
    case 'StartEscalationStep':
      return startEscalationStep(command, state);
    case 'ExhaustEscalation':
      return exhaustEscalation(command, state);
    case 'PageResponder':
      return pageResponder(command, state);
    default:
      return unknownCommand(command);
  }
};

export const open = (cmd: OpenIncident, state: Incident): IncidentEvent[] => {
  const { incidentId, title, service, severity, summary, impactStartedAt } = cmd.data;
  const { now, actor } = cmd.metadata;
  if (state.status !== 'none')
    throw new IncidentError('IncidentAlreadyExists', `Incident ${incidentId} already exists`);
  let impactStart = now;
  if (impactStartedAt !== undefined) {
    const at = parseTimestamp(impactStartedAt);
    if (at === null) {
      throw new IncidentError(
        'InvalidMilestone',
        `Impact start "${impactStartedAt}" is not an ISO-8601 timestamp with a time zone`,
      );
    }
    if (at > Date.parse(now)) {
      throw new IncidentError(
        'MilestoneOrderViolated',
        `Impact start ${impactStartedAt} is after detection (${now}); impact must start at or before the moment it is detected`,
      );
    }
    impactStart = new Date(at).toISOString();
  }
  return [
    {
      type: 'IncidentOpened',
      data: {
        incidentId,
        title,
        service,
        severity,
        summary: summary ?? null,
        impactStartedAt: impactStart,
        detectedAt: now,
        openedBy: actor.id,
      },
    },
  ];
};

export const acknowledge = (cmd: AcknowledgeIncident, state: Incident): IncidentEvent[] => {
  const incident = notResolved(existing(state, cmd.data.incidentId), 'acknowledging');
  if (incident.status !== 'triggered') return []; // repeat clicks in Slack are a no-op
  return [acknowledged(cmd.data.incidentId, cmd.metadata)];
};

export const assignRole = (cmd: AssignIncidentRole, state: Incident): IncidentEvent[] => {
  const { incidentId, role, assignee } = cmd.data;
  const incident = notResolved(existing(state, incidentId), `assigning the ${role} role`);
  const previous = incident.roles[role];
  if (previous === assignee) return [];
  return [{ type: 'IncidentRoleAssigned', data: { incidentId, role, assignee, previous } }];
};

export const changeSeverity = (cmd: ChangeIncidentSeverity, state: Incident): IncidentEvent[] => {
  const { incidentId, severity, reason } = cmd.data;
  const incident = notResolved(existing(state, incidentId), 'changing its severity');
  if (incident.severity === severity) return [];
  return [
    {
      type: 'IncidentSeverityChanged',
      data: { incidentId, from: incident.severity, to: severity, reason: reason ?? null },
    },
  ];
};

export const recordDiagnosis = (cmd: RecordDiagnosis, state: Incident): IncidentEvent[] => {
  const { incidentId, diagnosis } = cmd.data;
  const { now, actor } = cmd.metadata;
  const incident = notResolved(existing(state, incidentId), 'recording a diagnosis');
  return [
    ...implicitAcknowledgement(incident, cmd.metadata),
    {
      type: 'IncidentDiagnosisRecorded',
      data: { incidentId, diagnosis, recordedBy: actor.id, recordedAt: now },
    },
  ];
};

export const startRemediation = (cmd: StartRemediation, state: Incident): IncidentEvent[] => {
  const { incidentId, action } = cmd.data;
  const { now, actor } = cmd.metadata;
  const incident = notResolved(existing(state, incidentId), 'starting remediation');
  return [
    ...implicitAcknowledgement(incident, cmd.metadata),
    { type: 'IncidentRemediationStarted', data: { incidentId, action, startedBy: actor.id, startedAt: now } },
  ];
};

export const mitigate = (cmd: MitigateIncident, state: Incident): IncidentEvent[] => {
  const { incidentId, summary } = cmd.data;
  const { now, actor } = cmd.metadata;
  const incident = notResolved(existing(state, incidentId), 'mitigating it');
  if (incident.status === 'mitigated') {
    throw new IncidentError(
      'IncidentAlreadyMitigated',
      `Incident ${incidentId} was already mitigated at ${incident.milestones.mitigatedAt}`,
    );
  }
  return [
    ...implicitAcknowledgement(incident, cmd.metadata),
    {
      type: 'IncidentMitigated',
      data: { incidentId, mitigatedBy: actor.id, mitigatedAt: now, summary: summary ?? null },
    },
  ];
};

/** Resolving is not a response to the page, so it does not imply an acknowledgement (MTTA stays open). */
export const resolve = (cmd: ResolveIncident, state: Incident): IncidentEvent[] => {
  const { incidentId, summary } = cmd.data;
  const { now, actor } = cmd.metadata;
  const incident = existing(state, incidentId);
  if (incident.status === 'resolved') {
    throw new IncidentError(
      'IncidentAlreadyResolved',
      `Incident ${incidentId} was already resolved at ${incident.milestones.resolvedAt}`,
    );
  }
  return [
    {
      type: 'IncidentResolved',
      data: { incidentId, resolvedBy: actor.id, resolvedAt: now, summary: summary ?? null },
    },
  ];
};

export const reopen = (cmd: ReopenIncident, state: Incident): IncidentEvent[] => {
  const { incidentId, reason } = cmd.data;
  const { now, actor } = cmd.metadata;
  const incident = existing(state, incidentId);
  if (incident.status !== 'resolved') {
    throw new IncidentError(
      'IncidentNotResolved',
      `Incident ${incidentId} is ${incident.status}, not resolved; only a resolved incident can be reopened`,
    );
  }
  return [
    {
      type: 'IncidentReopened',
      data: { incidentId, reopenedBy: actor.id, reopenedAt: now, reason: reason ?? null },
    },
  ];
};

/** Notes are allowed in every opened state: post-incident follow-ups land on resolved incidents. */
export const addNote = (cmd: AddIncidentNote, state: Incident): IncidentEvent[] => {
  const { incidentId, text } = cmd.data;
  const { now, actor } = cmd.metadata;
  existing(state, incidentId);
  return [{ type: 'IncidentNoteAdded', data: { incidentId, text, author: actor.id, addedAt: now } }];
};

/** An alert joins an incident that is still open; a resolved one takes no new alerts. */
export const attachAlert = (cmd: AttachAlert, state: Incident): IncidentEvent[] => {
  const { incidentId, integrationId, alertKey, source, summary, severity, startsAt } = cmd.data;
  notResolved(existing(state, incidentId), 'attaching an alert');
  return [
    {
      type: 'AlertAttached',
      data: {
        incidentId,
        integrationId,
        alertKey,
        source,
        summary,
        severity,
        startsAt,
        attachedAt: cmd.metadata.now,
      },
    },
  ];
};

/** Allowed in every opened state: the final "all clear" update is often posted after resolution. */
export const postStatusUpdate = (cmd: PostStatusUpdate, state: Incident): IncidentEvent[] => {
  const { incidentId, message } = cmd.data;
  const { now, actor } = cmd.metadata;
  existing(state, incidentId);
  return [
    { type: 'IncidentStatusUpdatePosted', data: { incidentId, message, postedBy: actor.id, postedAt: now } },
  ];
};

export const correctMilestone = (cmd: CorrectMilestone, state: Incident): IncidentEvent[] => {
  const { incidentId, milestone, to, reason } = cmd.data;
  const { now, actor } = cmd.metadata;
  const incident = existing(state, incidentId);
  if (!(MILESTONES as readonly string[]).includes(milestone)) {
    throw new IncidentError(
      'InvalidMilestone',
      `"${milestone}" is not a milestone (expected one of ${MILESTONES.join(', ')})`,
    );
  }
  const from = incident.milestones[MILESTONE_FIELD[milestone]];
  if (from === null) {
    throw new IncidentError(
      'InvalidMilestone',
      `Incident ${incidentId} has no ${MILESTONE_LABEL[milestone]} time to correct: ` +
        (milestone === 'acknowledged'
          ? 'it has never been acknowledged'
          : `it has not been ${milestone} since it was last opened`),
    );
  }
  const at = parseTimestamp(to);
  if (at === null) {
    throw new IncidentError('InvalidMilestone', `"${to}" is not an ISO-8601 timestamp with a time zone`);
  }
  if (at > Date.parse(now)) {
    throw new IncidentError(
      'InvalidMilestone',
      `${MILESTONE_LABEL[milestone]} cannot be corrected to ${to}: it is in the future (now is ${now})`,
    );
  }
  if (at === Date.parse(from)) return [];
  assertOrder(incident.milestones, milestone, at, to);
  return [
    {
      type: 'MilestoneCorrected',
      data: { incidentId, milestone, from, to: new Date(at).toISOString(), reason, correctedBy: actor.id },
    },
  ];
};

const existing = (state: Incident, incidentId: string): OpenedIncident => {
  if (state.status === 'none')
    throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
  return state;
};

const notResolved = (incident: OpenedIncident, doing: string): Exclude<OpenedIncident, ResolvedIncident> => {
  if (incident.status === 'resolved') {
    throw new IncidentError(
      'IncidentNotOpen',
      `Incident ${incident.id} is resolved; reopen it before ${doing}`,
    );
  }
  return incident;
};

const acknowledged = (incidentId: string, { now, actor }: CommandMetadata): IncidentAcknowledged => ({
  type: 'IncidentAcknowledged',
  data: { incidentId, acknowledgedBy: actor.id, acknowledgedAt: now },
});

/** A human acting on a triggered incident has, by doing so, acknowledged it. */
const implicitAcknowledgement = (
  incident: OpenedIncident,
  metadata: CommandMetadata,
): IncidentAcknowledged[] => (incident.status === 'triggered' ? [acknowledged(incident.id, metadata)] : []);

const unknownCommand = (command: never): never => {
  throw new Error(`Unknown incident command: ${JSON.stringify((command as { type?: unknown }).type)}`);
};

const MILESTONE_LABEL: Record<Milestone, string> = {
  impactStarted: 'impact started',
  detected: 'detected',
  acknowledged: 'acknowledged',
  mitigated: 'mitigated',
  resolved: 'resolved',
};

// The partial order, transitively closed: impactStarted ≤ detected ≤ acknowledged ≤ resolved and
// detected ≤ mitigated ≤ resolved. Listing every earlier milestone (not only the neighbour) keeps the
// check right when a milestone in between has no value yet.
const MUST_FOLLOW: Record<Milestone, readonly Milestone[]> = {
  impactStarted: [],
  detected: ['impactStarted'],
  acknowledged: ['impactStarted', 'detected'],
  mitigated: ['impactStarted', 'detected'],
  resolved: ['impactStarted', 'detected', 'acknowledged', 'mitigated'],
};

/**
 * Only pairs that involve the corrected milestone are compared, so clock skew elsewhere in the history
 * cannot block an unrelated correction.
 */
const assertOrder = (milestones: IncidentMilestones, milestone: Milestone, at: number, to: string): void => {
  for (const other of MILESTONES) {
    const value = milestones[MILESTONE_FIELD[other]];
    if (other === milestone || value === null) continue;
    const before = MUST_FOLLOW[milestone].includes(other) && at < Date.parse(value);
    const after = MUST_FOLLOW[other].includes(milestone) && at > Date.parse(value);
    if (before || after) {
      throw new IncidentError(
        'MilestoneOrderViolated',
        `Correcting ${MILESTONE_LABEL[milestone]} to ${to} would put it ${before ? 'before' : 'after'} ` +
          `${MILESTONE_LABEL[other]} (${value}); milestones must run impact started ≤ detected ≤ acknowledged ≤ resolved ` +
          `and detected ≤ mitigated ≤ resolved`,
      );
    }
  }
};

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * Epoch milliseconds of an ISO-8601 date-time with an explicit zone, or null. Date.parse alone is too
 * lenient: it accepts other formats and rolls 2026-02-30 over into March.
 */
const parseTimestamp = (value: string): number | null => {
  const match = typeof value === 'string' ? ISO_TIMESTAMP.exec(value) : null;
  if (!match) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const fields = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const sameFields =
    fields.getUTCFullYear() === year &&
    fields.getUTCMonth() === month - 1 &&
    fields.getUTCDate() === day &&
    fields.getUTCHours() === hour &&
    fields.getUTCMinutes() === minute &&
    fields.getUTCSeconds() === second;
  const at = Date.parse(value);
  return sameFields && !Number.isNaN(at) ? at : null;
};
