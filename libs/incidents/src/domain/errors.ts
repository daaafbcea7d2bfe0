export type IncidentErrorCode =
  | 'IncidentNotFound'
  | 'IncidentAlreadyExists'
  | 'IncidentNotOpen'
  | 'IncidentAlreadyResolved'
  | 'IncidentAlreadyMitigated'
  | 'IncidentNotResolved'
  | 'InvalidMilestone'
  | 'MilestoneOrderViolated'
  | 'EscalationStopped'
  | 'EscalationStepStale'
  | 'InvalidEscalationStep';

/** A decision refused the command. `code` is stable API; `message` is for humans. */
export class IncidentError extends Error {
  override readonly name = 'IncidentError';

  constructor(
    readonly code: IncidentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type IncidentErrorStatus = 404 | 409 | 422;

/** The HTTP status each code maps to (the problem+json filter and tests share this table). */
export const incidentErrorStatus = (code: IncidentErrorCode): IncidentErrorStatus => {
  switch (code) {
    case 'IncidentNotFound':
      return 404;
    case 'IncidentAlreadyExists':
    case 'IncidentNotOpen':
    case 'IncidentAlreadyResolved':
    case 'IncidentAlreadyMitigated':
    case 'IncidentNotResolved':
    case 'EscalationStopped':
    case 'EscalationStepStale':
      return 409;
    case 'InvalidMilestone':
    case 'MilestoneOrderViolated':
    case 'InvalidEscalationStep':
      return 422;
  }
};
