import { isDeepStrictEqual } from 'node:util';

import { checkPolicyShape } from './policy.js';
import type { PolicyErrorCode } from './policy.js';
import { routeKey } from './policy-events.js';
import type {
  EscalationPolicyCommand,
  EscalationPolicyEvent,
  EscalationRoutingCommand,
  EscalationRoutingEvent,
  PolicyDecision,
  PolicyState,
  RoutingState,
} from './policy-events.js';

const refuse = <E>(code: PolicyErrorCode, message: string): PolicyDecision<E> => ({
  ok: false,
  error: { code, message },
});

const isText = (value: unknown, max = 200): value is string =>
  typeof value === 'string' && value.trim() !== '' && value.length <= max;

/**
 * Decides a policy command: creation makes version 1, each change that alters anything the next version.
 * A change to what the policy already is decides no events (no empty versions).
 */
export const decidePolicy = (
  command: EscalationPolicyCommand,
  state: PolicyState,
): PolicyDecision<EscalationPolicyEvent> => {
  const { policyId, name, levels, repeats } = command.data;
  const actor = command.metadata.actor.id;
  if (command.type === 'CreateEscalationPolicy' && state.status !== 'none') {
    return refuse('PolicyAlreadyExists', `Escalation policy ${policyId} already exists`);
  }
  if (command.type === 'ChangeEscalationPolicy' && state.status === 'none') {
    return refuse('PolicyNotFound', `Escalation policy ${policyId} does not exist`);
  }
  if (!isText(policyId)) return refuse('InvalidId', 'An escalation policy needs a non-empty id');
  if (!isText(name)) return refuse('InvalidName', 'An escalation policy needs a name of 1 to 200 characters');
  const shape = checkPolicyShape(levels, repeats);
  if (!shape.ok) return refuse('InvalidPolicy', shape.errors.join('; '));
  const next = { name: name.trim(), levels: shape.levels, repeats: shape.repeats };
  if (state.status === 'none') {
    return {
      ok: true,
      events: [{ type: 'EscalationPolicyCreated', data: { policyId, ...next, createdBy: actor } }],
    };
  }
  const current = { name: state.name, levels: state.levels, repeats: state.repeats };
  if (isDeepStrictEqual(current, next)) return { ok: true, events: [] };
  return {
    ok: true,
    events: [
      {
        type: 'EscalationPolicyChanged',
        data: { policyId, version: state.version + 1, ...next, changedBy: actor },
      },
    ],
  };
};

const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

/**
 * Attaches a policy to a service for one severity or for any; the route it replaces goes with it.
 * `knownPolicy` says whether the policy exists (the routing stream cannot know). Attaching what is
 * already attached decides nothing.
 */
export const decideRouting = (
  command: EscalationRoutingCommand,
  state: RoutingState,
  options: { knownPolicy: boolean; severities: readonly string[] },
): PolicyDecision<EscalationRoutingEvent> => {
  const { service, severity } = command.data;
  const actor = command.metadata.actor.id;
  if (typeof service !== 'string' || !SERVICE.test(service)) {
    return refuse('InvalidService', 'A service is a name of letters, digits and . _ : / - (at most 100)');
  }
  if (severity !== null && !options.severities.includes(severity)) {
    return refuse(
      'InvalidSeverity',
      `Severity is one of ${options.severities.join(', ')}, or absent for any`,
    );
  }
  const current = state.routes[routeKey(severity)];
  if (command.type === 'DetachEscalationPolicy') {
    if (current === undefined) {
      return refuse(
        'PolicyNotAttached',
        `Service ${service} has no escalation policy for ${severity ?? 'any severity'}`,
      );
    }
    return {
      ok: true,
      events: [
        {
          type: 'EscalationPolicyDetached',
          data: { service, severity, policyId: current, detachedBy: actor },
        },
      ],
    };
  }
  const { policyId } = command.data;
  if (!options.knownPolicy) return refuse('PolicyNotFound', `Escalation policy ${policyId} does not exist`);
  if (current === policyId) return { ok: true, events: [] };
  return {
    ok: true,
    events: [{ type: 'EscalationPolicyAttached', data: { service, severity, policyId, attachedBy: actor } }],
  };
};
