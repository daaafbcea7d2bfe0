import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decidePolicy, decideRouting } from './policy-decide.js';
import type {
  EscalationPolicyCommand,
  EscalationPolicyEvent,
  EscalationRoutingCommand,
  EscalationRoutingEvent,
} from './policy-events.js';
import {
  evolvePolicy,
  evolveRouting,
  initialPolicy,
  initialRouting,
  policyAtVersion,
  routeFor,
} from './policy-evolve.js';
import type { EscalationLevel } from './policy.js';
import { deepFreeze } from './spec-fixtures.js';

const metadata = { now: '2026-01-05T12:00:00.000Z', actor: { kind: 'user', id: 'bob' } };
const levels = (delayMinutes = 5): EscalationLevel[] => [
  { targets: [{ kind: 'user', id: 'alice' }], delayMinutes },
];
const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];

const policyScript = (...commands: Array<Omit<EscalationPolicyCommand, 'metadata'>>) => {
  const events: EscalationPolicyEvent[] = [];
  for (const c of commands) {
    const state = deepFreeze(events.reduce(evolvePolicy, initialPolicy));
    const decision = decidePolicy({ ...c, metadata }, state);
    if (!decision.ok) return { events, error: decision.error.code };
    events.push(...decision.events);
  }
  return { events, error: null };
};

describe('escalation policies are versioned', () => {
  it('creation is version 1 and every real change the next version', () => {
    const { events, error } = policyScript(
      {
        type: 'CreateEscalationPolicy',
        data: { policyId: 'p', name: ' Checkout ', levels: levels(), repeats: 0 },
      },
      {
        type: 'ChangeEscalationPolicy',
        data: { policyId: 'p', name: 'Checkout', levels: levels(), repeats: 0 },
      },
      {
        type: 'ChangeEscalationPolicy',
        data: { policyId: 'p', name: 'Checkout', levels: levels(10), repeats: 2 },
      },
    );
    assert.equal(error, null);
    assert.deepEqual(
      events.map((e) => e.type),
      ['EscalationPolicyCreated', 'EscalationPolicyChanged'],
      'a change to what it already is makes no version',
    );
    const state = events.reduce(evolvePolicy, initialPolicy);
    assert.equal(state.status === 'active' && state.version, 2);
    assert.equal(policyAtVersion(events, 1)?.levels[0]?.delayMinutes, 5);
    assert.equal(policyAtVersion(events, 1)?.name, 'Checkout');
    assert.equal(policyAtVersion(events, 2)?.repeats, 2);
    assert.equal(policyAtVersion(events, 3), null);
  });

  it('refuses a second creation, a change to nothing, and a bad shape', () => {
    const create = {
      type: 'CreateEscalationPolicy' as const,
      data: { policyId: 'p', name: 'P', levels: levels(), repeats: 0 },
    };
    assert.equal(policyScript(create, create).error, 'PolicyAlreadyExists');
    assert.equal(
      policyScript({
        type: 'ChangeEscalationPolicy',
        data: { policyId: 'p', name: 'P', levels: levels(), repeats: 0 },
      }).error,
      'PolicyNotFound',
    );
    assert.equal(policyScript({ ...create, data: { ...create.data, levels: [] } }).error, 'InvalidPolicy');
    assert.equal(policyScript({ ...create, data: { ...create.data, name: '  ' } }).error, 'InvalidName');
  });
});

describe('routing: which policy a service uses', () => {
  const route = (commands: Array<Omit<EscalationRoutingCommand, 'metadata'>>, knownPolicy = true) => {
    const events: EscalationRoutingEvent[] = [];
    for (const c of commands) {
      const decision = decideRouting(
        { ...c, metadata } as EscalationRoutingCommand,
        events.reduce(evolveRouting, initialRouting),
        { knownPolicy, severities: SEVERITIES },
      );
      if (!decision.ok)
        return { events, error: decision.error.code, state: events.reduce(evolveRouting, initialRouting) };
      events.push(...decision.events);
    }
    return { events, error: null, state: events.reduce(evolveRouting, initialRouting) };
  };
  const attach = (policyId: string, severity: string | null = null) => ({
    type: 'AttachEscalationPolicy' as const,
    data: { service: 'checkout', severity, policyId },
  });

  it('the most specific route wins: the severity’s own policy, else the one for any', () => {
    const { state, error } = route([attach('default'), attach('sev1', 'SEV1')]);
    assert.equal(error, null);
    assert.equal(routeFor(state, 'SEV1'), 'sev1');
    assert.equal(routeFor(state, 'SEV3'), 'default');
    assert.equal(routeFor(state, null), 'default');
    assert.equal(routeFor(route([attach('sev1', 'SEV1')]).state, 'SEV2'), null);
  });

  it('attaching replaces the route; the same attachment again is nothing; detaching removes it', () => {
    const { events, state } = route([
      attach('a'),
      attach('a'),
      attach('b'),
      { type: 'DetachEscalationPolicy', data: { service: 'checkout', severity: null } },
    ]);
    assert.deepEqual(
      events.map((e) => [e.type, e.data.policyId]),
      [
        ['EscalationPolicyAttached', 'a'],
        ['EscalationPolicyAttached', 'b'],
        ['EscalationPolicyDetached', 'b'],
      ],
    );
    assert.equal(routeFor(state, 'SEV2'), null);
  });

  it('refuses an unknown policy, severity or service name, and detaching nothing', () => {
    assert.equal(route([attach('x')], false).error, 'PolicyNotFound');
    assert.equal(route([attach('x', 'SEV9')]).error, 'InvalidSeverity');
    assert.equal(
      route([
        { type: 'AttachEscalationPolicy', data: { service: 'no spaces', severity: null, policyId: 'x' } },
      ]).error,
      'InvalidService',
    );
    assert.equal(
      route([{ type: 'DetachEscalationPolicy', data: { service: 'checkout', severity: 'SEV1' } }]).error,
      'PolicyNotAttached',
    );
  });
});
