import type { ScheduleEvent } from './schedule-events.js';

export type ScheduleErrorCode =
  | 'ScheduleNotFound'
  | 'ScheduleAlreadyExists'
  | 'LayerNotFound'
  | 'LayerAlreadyExists'
  | 'OverrideNotFound'
  | 'OverrideAlreadyExists'
  | 'InvalidId'
  | 'InvalidName'
  | 'UnknownTimeZone'
  | 'InvalidTimestamp'
  | 'InvalidLocalTime'
  | 'InvalidRotation'
  | 'InvalidRestriction'
  | 'EmptyUserList'
  | 'InvalidUserId'
  | 'EndNotAfterStart'
  | 'OverrideInPast';

/** Why a schedule command was refused. `code` is stable API; `message` is for humans. */
export type ScheduleError = { code: ScheduleErrorCode; message: string };

/** A decision: the events to append (none for a repeat of what is already so), or why not. */
export type ScheduleDecision = { ok: true; events: ScheduleEvent[] } | { ok: false; error: ScheduleError };

export type ScheduleErrorStatus = 404 | 409 | 422;

/** The HTTP status each code maps to. */
export const scheduleErrorStatus = (code: ScheduleErrorCode): ScheduleErrorStatus => {
  switch (code) {
    case 'ScheduleNotFound':
    case 'LayerNotFound':
    case 'OverrideNotFound':
      return 404;
    case 'ScheduleAlreadyExists':
    case 'LayerAlreadyExists':
    case 'OverrideAlreadyExists':
      return 409;
    case 'InvalidId':
    case 'InvalidName':
    case 'UnknownTimeZone':
    case 'InvalidTimestamp':
    case 'InvalidLocalTime':
    case 'InvalidRotation':
    case 'InvalidRestriction':
    case 'EmptyUserList':
    case 'InvalidUserId':
    case 'EndNotAfterStart':
    case 'OverrideInPast':
      return 422;
  }
};
