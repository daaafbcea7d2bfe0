import type { IncidentSeverityChanged, IncidentEventType } from './events.js';
import type { Severity } from './types.js';

/** Lifts one event type's data from schema version `from` to `from + 1`. Pure; chained by the store. */
export type IncidentUpcaster = { type: string; from: number; up: (data: any) => unknown };

/** Schema version 1 of IncidentSeverityChanged: numeric levels 1..4, reason optional. Frozen: never edit. */
export type IncidentSeverityChangedV1 = { incidentId: string; from: number; to: number; reason?: string };

const severityOfLevel = (level: number): Severity => {
  switch (level) {
    case 1:
      return 'SEV1';
    case 2:
      return 'SEV2';
    case 3:
      return 'SEV3';
    case 4:
      return 'SEV4';
    default:
      // A stored event outside the old scale is corrupt; guessing a severity would hide that.
      throw new Error(
        `IncidentSeverityChanged v1 holds severity level ${JSON.stringify(level)}, expected 1..4`,
      );
  }
};

export const incidentUpcasters: IncidentUpcaster[] = [
  {
    type: 'IncidentSeverityChanged',
    from: 1,
    up: (data: IncidentSeverityChangedV1): IncidentSeverityChanged['data'] => ({
      incidentId: data.incidentId,
      from: severityOfLevel(data.from),
      to: severityOfLevel(data.to),
      reason: data.reason ?? null,
    }),
  },
];

/** The schema version writers use for each event type today. Bump it together with a new upcaster. */
export const INCIDENT_SCHEMA_VERSIONS: Readonly<Record<string, number>> = Object.freeze({
  IncidentOpened: 1,
  IncidentAcknowledged: 1,
  IncidentRoleAssigned: 1,
  IncidentSeverityChanged: 2,
  IncidentDiagnosisRecorded: 1,
  IncidentRemediationStarted: 1,
  IncidentMitigated: 1,
  IncidentResolved: 1,
  IncidentReopened: 1,
  IncidentNoteAdded: 1,
  IncidentStatusUpdatePosted: 1,
  AlertAttached: 1,
  MilestoneCorrected: 1,
  EscalationStepStarted: 1,
  ResponderPaged: 1,
  EscalationExhausted: 1,
} satisfies Record<IncidentEventType, number>);
