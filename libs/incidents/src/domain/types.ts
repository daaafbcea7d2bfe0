export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_ROLES = ['commander', 'communications'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

export const MILESTONES = ['impactStarted', 'detected', 'acknowledged', 'mitigated', 'resolved'] as const;
export type Milestone = (typeof MILESTONES)[number];

export const INCIDENT_STATUSES = [
  'triggered',
  'acknowledged',
  'investigating',
  'mitigated',
  'resolved',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const SOURCES = ['api', 'slack', 'alert', 'system'] as const;
export type Source = (typeof SOURCES)[number];

export type ActorKind = 'user' | 'api-key' | 'slack' | 'system' | 'alert';
export type Actor = { kind: ActorKind; id: string; name?: string };

/**
 * Effective milestone times (ISO-8601), i.e. after any MilestoneCorrected.
 * `acknowledgedAt` is the first acknowledgement ever (kept across reopen, so MTTA measures the first
 * response); `mitigatedAt` and `resolvedAt` belong to the current cycle and are cleared by a reopen.
 */
export type IncidentMilestones = {
  impactStartedAt: string;
  detectedAt: string;
  acknowledgedAt: string | null;
  mitigatedAt: string | null;
  resolvedAt: string | null;
};

/** Where each milestone's effective time lives in the state. */
export const MILESTONE_FIELD = {
  impactStarted: 'impactStartedAt',
  detected: 'detectedAt',
  acknowledged: 'acknowledgedAt',
  mitigated: 'mitigatedAt',
  resolved: 'resolvedAt',
} as const satisfies Record<Milestone, keyof IncidentMilestones>;

/** What every opened incident carries, whatever its status. */
export type IncidentFacts = {
  id: string;
  title: string;
  service: string;
  severity: Severity;
  summary: string | null;
  roles: Record<IncidentRole, string | null>;
  reopenCount: number;
  lastStatusUpdate: { message: string; postedAt: string } | null;
  diagnoses: number;
  remediations: number;
  notes: number;
  openedAt: string;
  updatedAt: string;
};

// Each status narrows the milestones it guarantees, so a state cannot claim to be mitigated without a
// mitigation time, or be back in triggered while still holding last cycle's resolution.
export type TriggeredIncident = IncidentFacts & {
  status: 'triggered';
  milestones: IncidentMilestones & { mitigatedAt: null; resolvedAt: null };
};
export type AcknowledgedIncident = IncidentFacts & {
  status: 'acknowledged';
  milestones: IncidentMilestones & { acknowledgedAt: string; mitigatedAt: null; resolvedAt: null };
};
export type InvestigatingIncident = IncidentFacts & {
  status: 'investigating';
  milestones: IncidentMilestones & { mitigatedAt: null; resolvedAt: null };
};
export type MitigatedIncident = IncidentFacts & {
  status: 'mitigated';
  milestones: IncidentMilestones & { mitigatedAt: string; resolvedAt: null };
};
export type ResolvedIncident = IncidentFacts & {
  status: 'resolved';
  milestones: IncidentMilestones & { resolvedAt: string };
};

export type OpenedIncident =
  TriggeredIncident | AcknowledgedIncident | InvestigatingIncident | MitigatedIncident | ResolvedIncident;

/** The incident aggregate's state: plain JSON, folded from its events. */
export type Incident = { status: 'none' } | OpenedIncident;
