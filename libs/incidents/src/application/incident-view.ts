import { incidentDurations } from '../domain/metrics.js';
import type { OpenedIncident } from '../domain/types.js';

/** How an incident looks to API clients; the list and the detail answer the same shape. */
export const toIncidentView = (state: OpenedIncident, version: number) => ({
  id: state.id,
  title: state.title,
  service: state.service,
  severity: state.severity,
  status: state.status,
  summary: state.summary,
  roles: state.roles,
  milestones: state.milestones,
  durations: incidentDurations(state),
  reopenCount: state.reopenCount,
  lastStatusUpdate: state.lastStatusUpdate,
  counts: { diagnoses: state.diagnoses, remediations: state.remediations, notes: state.notes },
  openedAt: state.openedAt,
  updatedAt: state.updatedAt,
  version,
});

export type IncidentView = ReturnType<typeof toIncidentView>;
