import type { PolicyErrorCode } from './policy.js';
import { policyErrorStatus } from './policy.js';
import type { ScheduleErrorCode } from './schedule-errors.js';
import { scheduleErrorStatus } from './schedule-errors.js';

/** Refusals of the escalation lib that are not a schedule's or a policy's own decision. */
export type EscalationOwnErrorCode =
  | 'UserNotFound'
  | 'UnknownUsers'
  | 'UnknownSchedules'
  | 'SlackUserTaken'
  | 'InvalidUser'
  | 'InvalidRange'
  | 'NoEscalationPolicy'
  | 'NobodyOnCall'
  | 'EscalationExhausted';

export type EscalationErrorCode = ScheduleErrorCode | PolicyErrorCode | EscalationOwnErrorCode;

const SCHEDULE_CODES: ReadonlySet<string> = new Set<ScheduleErrorCode>([
  'ScheduleNotFound',
  'ScheduleAlreadyExists',
  'LayerNotFound',
  'LayerAlreadyExists',
  'OverrideNotFound',
  'OverrideAlreadyExists',
  'InvalidId',
  'InvalidName',
  'UnknownTimeZone',
  'InvalidTimestamp',
  'InvalidLocalTime',
  'InvalidRotation',
  'InvalidRestriction',
  'EmptyUserList',
  'InvalidUserId',
  'EndNotAfterStart',
  'OverrideInPast',
]);

const ownStatus = (code: EscalationOwnErrorCode): 404 | 409 | 422 => {
  switch (code) {
    case 'UserNotFound':
      return 404;
    case 'SlackUserTaken':
    case 'NoEscalationPolicy':
    case 'EscalationExhausted':
      return 409;
    case 'UnknownUsers':
    case 'UnknownSchedules':
    case 'InvalidUser':
    case 'InvalidRange':
    case 'NobodyOnCall':
      return 422;
  }
};

/** The HTTP status of every escalation code. */
export const escalationErrorStatus = (code: EscalationErrorCode): 404 | 409 | 422 => {
  if (SCHEDULE_CODES.has(code)) return scheduleErrorStatus(code as ScheduleErrorCode);
  switch (code as PolicyErrorCode) {
    case 'InvalidId':
    case 'InvalidName':
    case 'PolicyNotFound':
    case 'PolicyAlreadyExists':
    case 'InvalidPolicy':
    case 'InvalidService':
    case 'InvalidSeverity':
    case 'PolicyNotAttached':
      return policyErrorStatus(code as PolicyErrorCode);
    default:
      return ownStatus(code as EscalationOwnErrorCode);
  }
};

/** A refusal by the escalation lib (schedules, policies, users, paging). `code` is stable API. */
export class EscalationError extends Error {
  override readonly name = 'EscalationError';

  constructor(
    readonly code: EscalationErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): 404 | 409 | 422 {
    return escalationErrorStatus(this.code);
  }
}
