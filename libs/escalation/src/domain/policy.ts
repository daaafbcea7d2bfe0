// An escalation policy: who to page first, how long to wait for an acknowledgement, who next. Steps are
// numbered within one escalation cycle of an incident: step s pages level (s mod L) + 1 on pass
// floor(s / L), for s < L × (repeats + 1); the step after the last one is the exhaustion.

/** Whom a level pages: a Vigil user, whoever is on call in a schedule, or a Slack channel. */
export type EscalationTarget = { kind: 'user' | 'schedule' | 'channel'; id: string };

export type EscalationLevel = {
  targets: EscalationTarget[];
  /** How long to wait for an acknowledgement before the next step. Fractions are allowed (0.5: 30 s). */
  delayMinutes: number;
};

/** A policy as it stands at one version. Every change makes a new version; running escalations keep theirs. */
export type EscalationPolicy = {
  id: string;
  name: string;
  version: number;
  levels: EscalationLevel[];
  /** How many times the levels run again after the first pass before escalation gives up. */
  repeats: number;
};

export const MAX_LEVELS = 20;
export const MAX_TARGETS_PER_LEVEL = 50;
export const MAX_REPEATS = 9;
/** One second: a timer is claimed by a tick that runs every second, so shorter delays mean nothing. */
export const MIN_DELAY_MINUTES = 1 / 60;
export const MAX_DELAY_MINUTES = 24 * 60;

/** What step `step` of a cycle does under a policy of `levels` levels repeated `repeats` times. */
export type EscalationStep =
  { kind: 'page'; step: number; level: number; repeat: number } | { kind: 'exhaust'; step: number };

type Shape = { levels: readonly unknown[] | number; repeats: number };

const levelCount = (policy: Shape): number =>
  typeof policy.levels === 'number' ? policy.levels : policy.levels.length;

/** The exhaustion's step number: one past the last page. */
export const exhaustionStep = (policy: Shape): number => levelCount(policy) * (policy.repeats + 1);

/** What step `step` does; null past the exhaustion (there is nothing after it). */
export const stepOf = (policy: Shape, step: number): EscalationStep | null => {
  const levels = levelCount(policy);
  if (!Number.isInteger(step) || step < 0 || levels < 1) return null;
  const last = exhaustionStep(policy);
  if (step > last) return null;
  if (step === last) return { kind: 'exhaust', step };
  return { kind: 'page', step, level: (step % levels) + 1, repeat: Math.floor(step / levels) };
};

/** Milliseconds from a page step firing to the step after it: that level's delay. */
export const delayAfterMs = (policy: EscalationPolicy, step: number): number => {
  const next = stepOf(policy, step);
  if (next?.kind !== 'page') throw new RangeError(`Step ${step} of policy ${policy.id} pages nobody`);
  return Math.round(policy.levels[next.level - 1]!.delayMinutes * 60_000);
};

/**
 * The steps an escalation takes from `startAt` if nobody acknowledges before `acknowledgedAt` (never, when
 * absent), each at the time it falls due. An acknowledgement at or before a step's time stops it and all
 * after it. The engine fires the same steps from durable timers; this is the plan on paper.
 */
export const planEscalation = (
  policy: EscalationPolicy,
  startAt: string,
  acknowledgedAt?: string,
): Array<EscalationStep & { at: string }> => {
  const stop = acknowledgedAt === undefined ? Infinity : Date.parse(acknowledgedAt);
  const plan: Array<EscalationStep & { at: string }> = [];
  let at = Date.parse(startAt);
  for (let step = 0; ; step++) {
    const next = stepOf(policy, step);
    if (!next || at >= stop) return plan;
    plan.push({ ...next, at: new Date(at).toISOString() });
    if (next.kind === 'exhaust') return plan;
    at += delayAfterMs(policy, step);
  }
};

export type PolicyErrorCode =
  | 'PolicyNotFound'
  | 'PolicyAlreadyExists'
  | 'InvalidId'
  | 'InvalidName'
  | 'InvalidPolicy'
  | 'InvalidService'
  | 'InvalidSeverity'
  | 'PolicyNotAttached';

/** Why a policy command was refused. `code` is stable API; `message` is for humans. */
export type PolicyError = { code: PolicyErrorCode; message: string };

export const policyErrorStatus = (code: PolicyErrorCode): 404 | 409 | 422 => {
  switch (code) {
    case 'PolicyNotFound':
    case 'PolicyNotAttached':
      return 404;
    case 'PolicyAlreadyExists':
      return 409;
    case 'InvalidId':
    case 'InvalidName':
    case 'InvalidPolicy':
    case 'InvalidService':
    case 'InvalidSeverity':
      return 422;
  }
};

const TARGET_KINDS = ['user', 'schedule', 'channel'] as const;

/**
 * Checks a policy's levels and repeat count; answers the normalised copy (targets deduplicated, in
 * order) or every problem found, each naming its field (`levels[1].targets[0].id`).
 */
export const checkPolicyShape = (
  levels: unknown,
  repeats: unknown,
): { ok: true; levels: EscalationLevel[]; repeats: number } | { ok: false; errors: string[] } => {
  const errors: string[] = [];
  if (!Number.isInteger(repeats) || (repeats as number) < 0 || (repeats as number) > MAX_REPEATS) {
    errors.push(`repeats must be a whole number from 0 to ${MAX_REPEATS}`);
  }
  if (!Array.isArray(levels) || levels.length === 0 || levels.length > MAX_LEVELS) {
    errors.push(`levels must list 1 to ${MAX_LEVELS} levels`);
    return { ok: false, errors };
  }
  const normalised: EscalationLevel[] = [];
  levels.forEach((raw: unknown, i) => {
    const level = (raw ?? {}) as Partial<EscalationLevel>;
    const where = `levels[${i}]`;
    const delay = level.delayMinutes;
    if (
      typeof delay !== 'number' ||
      !Number.isFinite(delay) ||
      delay < MIN_DELAY_MINUTES ||
      delay > MAX_DELAY_MINUTES
    ) {
      errors.push(
        `${where}.delayMinutes must be a number of minutes from 1/60 (a second) to ${MAX_DELAY_MINUTES}`,
      );
    }
    const targets = level.targets;
    if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_TARGETS_PER_LEVEL) {
      errors.push(`${where}.targets must list 1 to ${MAX_TARGETS_PER_LEVEL} targets`);
      return;
    }
    const seen = new Set<string>();
    const kept: EscalationTarget[] = [];
    targets.forEach((t: unknown, j) => {
      const target = (t ?? {}) as Partial<EscalationTarget>;
      if (!TARGET_KINDS.includes(target.kind as EscalationTarget['kind'])) {
        errors.push(`${where}.targets[${j}].kind must be user, schedule or channel`);
        return;
      }
      if (typeof target.id !== 'string' || target.id.trim() === '' || target.id.length > 200) {
        errors.push(`${where}.targets[${j}].id must be a non-empty id`);
        return;
      }
      const key = `${target.kind}:${target.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      kept.push({ kind: target.kind!, id: target.id });
    });
    normalised.push({ targets: kept, delayMinutes: delay as number });
  });
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, levels: normalised, repeats: repeats as number };
};
