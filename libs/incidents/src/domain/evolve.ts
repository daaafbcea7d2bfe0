import type { IncidentAcknowledged, IncidentEvent, IncidentOpened, MilestoneCorrected } from './events.js';
import { MILESTONE_FIELD } from './types.js';
import type { Incident, IncidentMilestones, OpenedIncident, TriggeredIncident } from './types.js';

export const initialIncident: Incident = { status: 'none' };

/**
 * Folds one event into the state. Events are facts: evolve never refuses one. An event that cannot
 * apply (anything but IncidentOpened before the incident exists, a second IncidentOpened, a type this
 * code does not know) leaves the state unchanged.
 */
export const evolve = (state: Incident, event: IncidentEvent): Incident => {
  if (state.status === 'none') return event.type === 'IncidentOpened' ? opened(event.data) : state;
  switch (event.type) {
    case 'IncidentOpened':
      return state;
    case 'IncidentAcknowledged':
      return acknowledged(state, event.data);
    case 'IncidentRoleAssigned': {
      const roles = { ...state.roles };
      roles[event.data.role] = event.data.assignee;
      return { ...state, roles };
    }
    case 'IncidentSeverityChanged':
      return { ...state, severity: event.data.to };
    case 'IncidentDiagnosisRecorded':
      return { ...investigating(state), diagnoses: state.diagnoses + 1, updatedAt: event.data.recordedAt };
    case 'IncidentRemediationStarted':
      return {
        ...investigating(state),
        remediations: state.remediations + 1,
        updatedAt: event.data.startedAt,
      };
    case 'IncidentMitigated': {
      const { mitigatedAt } = event.data;
      return {
        ...state,
        status: 'mitigated',
        milestones: { ...state.milestones, mitigatedAt, resolvedAt: null },
        updatedAt: mitigatedAt,
      };
    }
    case 'IncidentResolved': {
      const { resolvedAt } = event.data;
      return {
        ...state,
        status: 'resolved',
        milestones: { ...state.milestones, resolvedAt },
        updatedAt: resolvedAt,
      };
    }
    case 'IncidentReopened':
      // A new cycle: mitigation and resolution start over, but the first acknowledgement stays so MTTA
      // keeps measuring the first response.
      return {
        ...state,
        status: 'triggered',
        milestones: { ...state.milestones, mitigatedAt: null, resolvedAt: null },
        reopenCount: state.reopenCount + 1,
        updatedAt: event.data.reopenedAt,
      };
    case 'IncidentNoteAdded':
      return { ...state, notes: state.notes + 1, updatedAt: event.data.addedAt };
    case 'AlertAttached':
      return { ...state, updatedAt: event.data.attachedAt };
    case 'IncidentStatusUpdatePosted': {
      const { message, postedAt } = event.data;
      return { ...state, lastStatusUpdate: { message, postedAt }, updatedAt: postedAt };
    }
    case 'MilestoneCorrected':
      return corrected(state, event.data);
    // Escalation is the system's doing, not activity on the incident: updatedAt stays.
    case 'EscalationStepStarted': {
      const d = event.data;
      return {
        ...state,
        escalation: {
          cycle: d.cycle,
          steps: d.step + 1,
          level: d.level,
          repeat: d.repeat,
          policyId: d.policyId,
          policyVersion: d.policyVersion,
          levels: d.levels,
          repeats: d.repeats,
          lastStepAt: d.firedAt,
          nextStepAt: d.nextStepAt,
          exhausted: false,
        },
      };
    }
    case 'EscalationExhausted': {
      const d = event.data;
      const previous = state.escalation?.cycle === d.cycle ? state.escalation : undefined;
      return {
        ...state,
        escalation: {
          cycle: d.cycle,
          steps: d.step + 1,
          level: previous?.level ?? d.levels,
          repeat: previous?.repeat ?? d.repeats,
          policyId: d.policyId,
          policyVersion: d.policyVersion,
          levels: d.levels,
          repeats: d.repeats,
          lastStepAt: d.exhaustedAt,
          nextStepAt: null,
          exhausted: true,
        },
      };
    }
    case 'ResponderPaged':
      return state;
    default:
      return unknownEvent(event, state);
  }
};

export const foldIncident = (events: readonly IncidentEvent[]): Incident =>
  events.reduce(evolve, initialIncident);

const opened = (data: IncidentOpened['data']): TriggeredIncident => ({
  status: 'triggered',
  id: data.incidentId,
  title: data.title,
  service: data.service,
  severity: data.severity,
  summary: data.summary,
  roles: { commander: null, communications: null },
  milestones: {
    impactStartedAt: data.impactStartedAt,
    detectedAt: data.detectedAt,
    acknowledgedAt: null,
    mitigatedAt: null,
    resolvedAt: null,
  },
  reopenCount: 0,
  lastStatusUpdate: null,
  diagnoses: 0,
  remediations: 0,
  notes: 0,
  openedAt: data.detectedAt,
  updatedAt: data.detectedAt,
});

const acknowledged = (state: OpenedIncident, data: IncidentAcknowledged['data']): OpenedIncident => {
  const updatedAt = data.acknowledgedAt;
  if (state.status === 'triggered') {
    const acknowledgedAt = state.milestones.acknowledgedAt ?? data.acknowledgedAt;
    return {
      ...state,
      status: 'acknowledged',
      milestones: { ...state.milestones, acknowledgedAt },
      updatedAt,
    };
  }
  if (state.milestones.acknowledgedAt !== null) return { ...state, updatedAt };
  return { ...withMilestone(state, 'acknowledgedAt', data.acknowledgedAt), updatedAt };
};

/** Investigation starts from triggered or acknowledged; work on a mitigated incident leaves it mitigated. */
const investigating = (state: OpenedIncident): OpenedIncident =>
  state.status === 'triggered' || state.status === 'acknowledged'
    ? { ...state, status: 'investigating' }
    : state;

const corrected = (state: OpenedIncident, { milestone, to }: MilestoneCorrected['data']): OpenedIncident => {
  const field: keyof IncidentMilestones | undefined = MILESTONE_FIELD[milestone];
  // Only a milestone that has a value can be corrected (decide refuses the rest), which also keeps the
  // per-status guarantees: mitigatedAt is only non-null while mitigated or resolved.
  if (field === undefined || state.milestones[field] === null) return state;
  return withMilestone(state, field, to);
};

const withMilestone = <S extends OpenedIncident>(
  state: S,
  field: keyof IncidentMilestones,
  value: string,
): S => ({
  ...state,
  milestones: { ...state.milestones, [field]: value },
});

const unknownEvent = (_event: never, state: Incident): Incident => state;
