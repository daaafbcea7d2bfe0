import type {
  EscalationPolicyEvent,
  EscalationRoutingEvent,
  PolicyState,
  RoutingState,
} from './policy-events.js';
import { routeKey } from './policy-events.js';
import type { EscalationPolicy } from './policy.js';

export const initialPolicy: PolicyState = { status: 'none' };

/** Folds one policy event. Events are facts: one that cannot apply leaves the state as it was. */
export const evolvePolicy = (state: PolicyState, event: EscalationPolicyEvent): PolicyState => {
  switch (event.type) {
    case 'EscalationPolicyCreated': {
      if (state.status !== 'none') return state;
      const { policyId, name, levels, repeats } = event.data;
      return { status: 'active', id: policyId, name, version: 1, levels, repeats };
    }
    case 'EscalationPolicyChanged': {
      if (state.status === 'none') return state;
      const { version, name, levels, repeats } = event.data;
      return { ...state, version, name, levels, repeats };
    }
    default:
      return unknownEvent(event, state);
  }
};

const unknownEvent = <S>(_event: never, state: S): S => state;

/** The policy at `version`, or null if it never had that version. */
export const policyAtVersion = (
  events: readonly EscalationPolicyEvent[],
  version: number,
): EscalationPolicy | null => {
  let state: PolicyState = initialPolicy;
  for (const event of events) {
    state = evolvePolicy(state, event);
    if (state.status === 'active' && state.version === version) {
      const { id, name, levels, repeats } = state;
      return { id, name, version, levels, repeats };
    }
  }
  return null;
};

export const initialRouting: RoutingState = { service: null, routes: {} };

export const evolveRouting = (state: RoutingState, event: EscalationRoutingEvent): RoutingState => {
  const key = routeKey(event.data.severity);
  switch (event.type) {
    case 'EscalationPolicyAttached':
      return { service: event.data.service, routes: { ...state.routes, [key]: event.data.policyId } };
    case 'EscalationPolicyDetached': {
      const routes = Object.fromEntries(Object.entries(state.routes).filter(([k]) => k !== key));
      return { service: event.data.service, routes };
    }
    default:
      return unknownEvent(event, state);
  }
};

/**
 * The policy for an incident of `severity`: the one attached for that severity if any, else the one for
 * any severity, else none. The most specific route wins.
 */
export const routeFor = (routing: RoutingState, severity: string | null): string | null =>
  (severity !== null ? routing.routes[severity] : undefined) ?? routing.routes['*'] ?? null;
