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

/**
 * Where escalation stands in one cycle of the incident (cycle 0: since it opened; n: since its n-th reopen).
 * Absent until a step first fires; a reopen starts a new cycle, so progress of an older cycle means the
 * current one has fired nothing yet.
 */
export type EscalationProgress = {
  cycle: number;
  /** Steps of the cycle fired so far, the exhaustion included: the next step's number. */
  steps: number;
  level: number;
  repeat: number;
  policyId: string;
  policyVersion: number;
  levels: number;
  repeats: number;
  lastStepAt: string;
  /** When the next step falls due; null once exhausted. */
  nextStepAt: string | null;
  exhausted: boolean;
};

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
  /** Absent until escalation first fires a step (incidents folded by older code never have it). */
  escalation?: EscalationProgress;
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
