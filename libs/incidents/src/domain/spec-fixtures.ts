// Shared given/when builders for the domain specs. Not exported from index.ts.
import type { CommandMetadata, IncidentCommand } from './commands.js';
import type { IncidentEvent } from './events.js';
import type { Actor } from './types.js';

export const ID = 'inc-1';

/** A time on the fixture day, 2026-01-01 (UTC). */
export const t = (hhmm: string): string => `2026-01-01T${hhmm}:00.000Z`;

/** The default `now` of a command: after everything in the fixture histories. */
export const NOW = t('12:00');

export const user = (id: string): Actor => ({ kind: 'user', id });

export const metadata = (now = NOW, actorId = 'bob'): CommandMetadata => ({
  now,
  actor: user(actorId),
  source: 'api',
});

type WithoutMetadata<C> = C extends IncidentCommand ? Omit<C, 'metadata'> : never;

/** A command as sent by `actorId` (bob unless told) at `now` (NOW unless told). */
export const command = (
  c: WithoutMetadata<IncidentCommand>,
  now = NOW,
  actorId = 'bob',
): IncidentCommand => ({
  ...c,
  metadata: metadata(now, actorId),
});

export const opened = (
  data: Partial<Extract<IncidentEvent, { type: 'IncidentOpened' }>['data']> = {},
): IncidentEvent => ({
  type: 'IncidentOpened',
  data: {
    incidentId: ID,
    title: 'Checkout errors',
    service: 'checkout',
    severity: 'SEV3',
    summary: null,
    impactStartedAt: t('10:00'),
    detectedAt: t('10:05'),
    openedBy: 'alice',
    ...data,
  },
});

export const acknowledged = (at = t('10:10'), by = 'alice'): IncidentEvent => ({
  type: 'IncidentAcknowledged',
  data: { incidentId: ID, acknowledgedBy: by, acknowledgedAt: at },
});

export const diagnosed = (at = t('10:20'), by = 'bob'): IncidentEvent => ({
  type: 'IncidentDiagnosisRecorded',
  data: { incidentId: ID, diagnosis: 'Connection pool exhausted', recordedBy: by, recordedAt: at },
});

export const remediating = (at = t('10:25'), by = 'bob'): IncidentEvent => ({
  type: 'IncidentRemediationStarted',
  data: { incidentId: ID, action: 'Raise pool size', startedBy: by, startedAt: at },
});

export const mitigated = (at = t('10:30'), by = 'bob'): IncidentEvent => ({
  type: 'IncidentMitigated',
  data: { incidentId: ID, mitigatedBy: by, mitigatedAt: at, summary: null },
});

export const resolved = (at = t('10:50'), by = 'bob'): IncidentEvent => ({
  type: 'IncidentResolved',
  data: { incidentId: ID, resolvedBy: by, resolvedAt: at, summary: null },
});

export const reopened = (at = t('11:00'), by = 'carol'): IncidentEvent => ({
  type: 'IncidentReopened',
  data: { incidentId: ID, reopenedBy: by, reopenedAt: at, reason: null },
});

export const corrected = (
  milestone: Extract<IncidentEvent, { type: 'MilestoneCorrected' }>['data']['milestone'],
  from: string | null,
  to: string,
): IncidentEvent => ({
  type: 'MilestoneCorrected',
  data: { incidentId: ID, milestone, from, to, reason: 'alert fired late', correctedBy: 'alice' },
});

/** Histories that put the incident in each status. */
export const history = {
  triggered: [opened()],
  acknowledged: [opened(), acknowledged()],
  investigating: [opened(), acknowledged(), diagnosed()],
  mitigated: [opened(), acknowledged(), diagnosed(), mitigated()],
  resolved: [opened(), acknowledged(), diagnosed(), mitigated(), resolved()],
  reopened: [opened(), acknowledged(), diagnosed(), mitigated(), resolved(), reopened()],
  resolvedUnacknowledged: [opened(), resolved()],
} satisfies Record<string, IncidentEvent[]>;

/** Freezes a value deeply, so a test fails if the code under test mutates it. */
export const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
};
