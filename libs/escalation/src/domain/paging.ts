// Who a level pages at an instant: users by name, schedules by whoever is on call, channels as they are.
// Pure: the caller hands in the users and the schedules as they stand, and the instant.
import type { EscalationTargetOutcome } from '#vigil/incidents';
import { whoIsOnCall } from './on-call.js';
import type { OnCall } from './on-call.js';
import type { EscalationTarget } from './policy.js';
import type { Schedule } from './schedule.js';
import type { User } from './user.js';

/** What resolving targets may look up. A schedule or user it does not have does not exist. */
export type PagingDirectory = {
  user(id: string): User | undefined;
  schedule(id: string): Schedule | undefined;
};

/** Where the target sits, for the explanations: "level 2 of policy Checkout v3", "a page by hand". */
export type PagingContext = { label: string };

const span = (start: string, end: string): string => `${start} to ${end}`;

/** Why `onCall` names its user (or nobody), in one line. */
export const explainOnCall = (onCall: OnCall, schedule: Schedule, nameOf: (id: string) => string): string => {
  const reason = onCall.reason;
  switch (reason.kind) {
    case 'override':
      return `${nameOf(onCall.userId ?? '?')} is on call in schedule ${schedule.name} by override ${reason.overrideId} (${span(reason.start, reason.end)})`;
    case 'layer':
      return (
        `${nameOf(onCall.userId ?? '?')} is on call in schedule ${schedule.name}: layer "${reason.layerName}", ` +
        `turn ${reason.turn.index + 1} (${span(reason.turn.start, reason.turn.end)})`
      );
    case 'nobody': {
      if (schedule.layers.length === 0)
        return `Nobody is on call in schedule ${schedule.name}: it has no layers`;
      const why = onCall.layers.map((v) => {
        switch (v.status) {
          case 'restricted':
            return `layer "${v.layerName}": it is ${nameOf(v.userId)}'s turn, but outside the layer's restricted hours`;
          case 'not-started':
            return `layer "${v.layerName}" starts at ${v.startsAt}`;
          case 'on-call':
            return `layer "${v.layerName}" names ${nameOf(v.userId)}`;
        }
      });
      return `Nobody is on call in schedule ${schedule.name} at ${onCall.at}: ${why.join('; ')}`;
    }
  }
};

/**
 * What each target of a level comes to at `at`: who is paged (each person once per level: a user named
 * directly and on call in a schedule of the same level is paged once, the first way), or why nobody is.
 */
export const resolveTargets = (
  targets: readonly EscalationTarget[],
  directory: PagingDirectory,
  at: Date,
  context: PagingContext,
): EscalationTargetOutcome[] => {
  const pagedBy = new Map<string, EscalationTarget>();
  const nameOf = (id: string) => directory.user(id)?.name ?? id;
  const pageUser = (target: EscalationTarget, userId: string, why: string): EscalationTargetOutcome => {
    const user = directory.user(userId);
    if (!user) {
      return {
        target,
        outcome: 'not-paged',
        reason: 'unknown-user',
        userId,
        explanation:
          target.kind === 'user'
            ? `User ${userId}, named in ${context.label}, does not exist`
            : `${why}, but user ${userId} does not exist`,
      };
    }
    const earlier = pagedBy.get(userId);
    if (earlier) {
      return {
        target,
        outcome: 'not-paged',
        reason: 'already-paged',
        userId,
        explanation: `${user.name} was already paged in ${context.label} (as ${earlier.kind} ${earlier.id})`,
      };
    }
    pagedBy.set(userId, target);
    const slack = user.slackUserId ? '' : '; they have no Slack user id, so Slack cannot reach them';
    return {
      target,
      outcome: 'paged',
      userId,
      userName: user.name,
      slackUserId: user.slackUserId ?? null,
      channelId: null,
      explanation: `${why}${slack}`,
    };
  };

  return targets.map((target): EscalationTargetOutcome => {
    switch (target.kind) {
      case 'user':
        return pageUser(target, target.id, `${nameOf(target.id)} is named in ${context.label}`);
      case 'channel':
        return {
          target,
          outcome: 'paged',
          userId: null,
          userName: null,
          slackUserId: null,
          channelId: target.id,
          explanation: `Slack channel ${target.id} is named in ${context.label}`,
        };
      case 'schedule': {
        const schedule = directory.schedule(target.id);
        if (!schedule) {
          return {
            target,
            outcome: 'not-paged',
            reason: 'unknown-schedule',
            userId: null,
            explanation: `Schedule ${target.id}, named in ${context.label}, does not exist`,
          };
        }
        const onCall = whoIsOnCall(schedule, at);
        const why = explainOnCall(onCall, schedule, nameOf);
        if (onCall.userId === null) {
          return { target, outcome: 'not-paged', reason: 'nobody-on-call', userId: null, explanation: why };
        }
        return pageUser(target, onCall.userId, why);
      }
    }
  });
};
