import type { Incident } from './types.js';

export type IncidentDurations = {
  /** Time to detect: detected − impact started. */
  mttdMs: number | null;
  /** Time to acknowledge: first acknowledgement − detected. */
  mttaMs: number | null;
  /** Time to mitigate: mitigated − detected (current cycle). */
  mttmMs: number | null;
  /** Time to resolve: resolved − detected (current cycle). */
  mttrMs: number | null;
};

/** One incident's durations from its effective (corrected) milestones; null while a milestone is missing. */
export const incidentDurations = (state: Incident): IncidentDurations => {
  if (state.status === 'none') return { mttdMs: null, mttaMs: null, mttmMs: null, mttrMs: null };
  const { impactStartedAt, detectedAt, acknowledgedAt, mitigatedAt, resolvedAt } = state.milestones;
  return {
    mttdMs: between(impactStartedAt, detectedAt),
    mttaMs: between(detectedAt, acknowledgedAt),
    mttmMs: between(detectedAt, mitigatedAt),
    mttrMs: between(detectedAt, resolvedAt),
  };
};

const between = (from: string, to: string | null): number | null =>
  to === null ? null : Date.parse(to) - Date.parse(from);
