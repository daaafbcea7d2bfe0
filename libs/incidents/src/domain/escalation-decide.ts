// Escalation steps are decided on the incident's own stream, so the stream's expected version settles a
// race between an acknowledgement and a step falling due: whichever appends first wins, and a step decided
// against an acknowledged incident is refused. That is how "never escalated after acknowledged" holds.
import type { CommandMetadata, ExhaustEscalation, PageResponder, StartEscalationStep } from './commands.js';
import { IncidentError } from './errors.js';
import type { EscalationTargetRef, IncidentEvent } from './events.js';
import type { Incident, OpenedIncident } from './types.js';

/** The step an escalation would fire next: the current cycle, and how many steps it has fired. */
export const nextEscalationStep = (incident: OpenedIncident): { cycle: number; step: number } => {
  const cycle = incident.reopenCount;
  const progress = incident.escalation;
  return { cycle, step: progress?.cycle === cycle ? progress.steps : 0 };
};

/** True while the incident is open, unacknowledged, and its current cycle has not run out of levels. */
export const isEscalating = (incident: Incident): boolean =>
  incident.status === 'triggered' &&
  !(incident.escalation?.cycle === incident.reopenCount && incident.escalation.exhausted);

const opened = (state: Incident, incidentId: string): OpenedIncident => {
  if (state.status === 'none')
    throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
  return state;
};

/** Refuses unless the incident is unacknowledged and `cycle`/`step` name exactly its next step. */
const checkToken = (state: Incident, incidentId: string, cycle: number, step: number): OpenedIncident => {
  const incident = opened(state, incidentId);
  if (incident.status !== 'triggered') {
    throw new IncidentError(
      'EscalationStopped',
      `Incident ${incidentId} is ${incident.status}; escalation stops once it is acknowledged`,
    );
  }
  const next = nextEscalationStep(incident);
  if (incident.escalation?.cycle === next.cycle && incident.escalation.exhausted) {
    throw new IncidentError(
      'EscalationStepStale',
      `Escalation of incident ${incidentId} ran out of levels at step ${incident.escalation.steps - 1}`,
    );
  }
  if (cycle !== next.cycle || step !== next.step) {
    throw new IncidentError(
      'EscalationStepStale',
      `Incident ${incidentId} is at escalation step ${next.step} of cycle ${next.cycle}, not step ${step} of cycle ${cycle}`,
    );
  }
  return incident;
};

const checkShape = (levels: number, repeats: number, step: number): void => {
  const whole = (n: number, min: number) => Number.isInteger(n) && n >= min;
  if (!whole(levels, 1) || !whole(repeats, 0) || !whole(step, 0)) {
    throw new IncidentError(
      'InvalidEscalationStep',
      `An escalation step needs levels ≥ 1, repeats ≥ 0 and step ≥ 0 (got ${levels}, ${repeats}, ${step})`,
    );
  }
};

const ms = (iso: string): number => {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw new IncidentError('InvalidEscalationStep', `"${iso}" is not a timestamp`);
  return at;
};

export const startEscalationStep = (cmd: StartEscalationStep, state: Incident): IncidentEvent[] => {
  const { incidentId, cycle, step, policy, delayMinutes, targets, trigger, scheduledFor } = cmd.data;
  const { now } = cmd.metadata;
  checkShape(policy.levels, policy.repeats, step);
  const unreachable = targets.find((t) =>
    t.outcome !== 'paged' ? false : t.target.kind === 'channel' ? !t.channelId : !t.userId,
  );
  if (unreachable) {
    throw new IncidentError(
      'InvalidEscalationStep',
      `A paged ${unreachable.target.kind} target needs ${unreachable.target.kind === 'channel' ? 'a channel' : 'a user'} id`,
    );
  }
  if (step >= policy.levels * (policy.repeats + 1)) {
    throw new IncidentError(
      'InvalidEscalationStep',
      `Step ${step} is past the last level of the last repeat of policy ${policy.id}; exhaust it instead`,
    );
  }
  if (!(delayMinutes > 0)) {
    throw new IncidentError('InvalidEscalationStep', `A level's delay must be positive, not ${delayMinutes}`);
  }
  checkToken(state, incidentId, cycle, step);
  const firedAt = ms(now);
  const level = (step % policy.levels) + 1;
  const pages: IncidentEvent[] = targets.flatMap((t) =>
    t.outcome === 'paged'
      ? [
          paged(cmd.metadata, incidentId, cycle, { level, step }, t.target, {
            userId: t.userId,
            userName: t.userName,
            slackUserId: t.slackUserId,
            channelId: t.channelId,
            explanation: t.explanation,
          }),
        ]
      : [],
  );
  return [
    {
      type: 'EscalationStepStarted',
      data: {
        incidentId,
        cycle,
        step,
        level,
        repeat: Math.floor(step / policy.levels),
        policyId: policy.id,
        policyVersion: policy.version,
        policyName: policy.name,
        levels: policy.levels,
        repeats: policy.repeats,
        delayMinutes,
        targets,
        trigger,
        scheduledFor: new Date(ms(scheduledFor)).toISOString(),
        firedAt: now,
        delayMs: Math.max(0, firedAt - ms(scheduledFor)),
        nextStepAt: new Date(firedAt + Math.round(delayMinutes * 60_000)).toISOString(),
      },
    },
    ...pages,
  ];
};

export const exhaustEscalation = (cmd: ExhaustEscalation, state: Incident): IncidentEvent[] => {
  const { incidentId, cycle, step, policy } = cmd.data;
  checkShape(policy.levels, policy.repeats, step);
  if (step !== policy.levels * (policy.repeats + 1)) {
    throw new IncidentError(
      'InvalidEscalationStep',
      `Policy ${policy.id} is exhausted after step ${policy.levels * (policy.repeats + 1) - 1}, not at step ${step}`,
    );
  }
  checkToken(state, incidentId, cycle, step);
  return [
    {
      type: 'EscalationExhausted',
      data: {
        incidentId,
        cycle,
        step,
        policyId: policy.id,
        policyVersion: policy.version,
        levels: policy.levels,
        repeats: policy.repeats,
        exhaustedAt: cmd.metadata.now,
      },
    },
  ];
};

export const pageResponder = (cmd: PageResponder, state: Incident): IncidentEvent[] => {
  const { incidentId, target, userId, userName, slackUserId, explanation } = cmd.data;
  const incident = opened(state, incidentId);
  if (incident.status === 'resolved') {
    throw new IncidentError(
      'IncidentNotOpen',
      `Incident ${incidentId} is resolved; reopen it before paging anyone`,
    );
  }
  if (target.kind === 'channel') {
    throw new IncidentError(
      'InvalidEscalationStep',
      'A page by hand names a user or a schedule, not a channel',
    );
  }
  return [
    paged(cmd.metadata, incidentId, incident.reopenCount, { level: null, step: null }, target, {
      userId,
      userName,
      slackUserId,
      channelId: null,
      explanation,
    }),
  ];
};

const paged = (
  { now, actor }: CommandMetadata,
  incidentId: string,
  cycle: number,
  { level, step }: { level: number | null; step: number | null },
  via: EscalationTargetRef,
  who: {
    userId: string | null;
    userName: string | null;
    slackUserId: string | null;
    channelId: string | null;
    explanation: string;
  },
): IncidentEvent => ({
  type: 'ResponderPaged',
  data: {
    incidentId,
    level,
    step,
    cycle,
    userId: who.userId,
    userName: who.userName,
    slackUserId: who.slackUserId,
    channelId: who.channelId,
    via: { kind: via.kind, id: via.id },
    explanation: who.explanation,
    pagedAt: now,
    pagedBy: actor.id,
  },
});
