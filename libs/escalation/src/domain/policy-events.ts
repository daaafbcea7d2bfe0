import type { EscalationLevel, EscalationPolicy, PolicyError } from './policy.js';

// Event `type` strings are permanent API: never rename or reuse one. A policy's stream holds its versions;
// which policy a service uses is a separate stream per service (its routing), so attaching a policy to one
// service never contends with editing it.

/** Version 1 of a policy. */
export type EscalationPolicyCreated = {
  type: 'EscalationPolicyCreated';
  data: {
    policyId: string;
    name: string;
    levels: EscalationLevel[];
    repeats: number;
    createdBy: string;
  };
};

/** A new version, whole: running escalations keep the version they started with. */
export type EscalationPolicyChanged = {
  type: 'EscalationPolicyChanged';
  data: {
    policyId: string;
    version: number;
    name: string;
    levels: EscalationLevel[];
    repeats: number;
    changedBy: string;
  };
};

export type EscalationPolicyEvent = EscalationPolicyCreated | EscalationPolicyChanged;

/** The policy that escalates the service's incidents of `severity` (null: of any severity without its own). */
export type EscalationPolicyAttached = {
  type: 'EscalationPolicyAttached';
  data: { service: string; severity: string | null; policyId: string; attachedBy: string };
};

export type EscalationPolicyDetached = {
  type: 'EscalationPolicyDetached';
  data: { service: string; severity: string | null; policyId: string; detachedBy: string };
};

export type EscalationRoutingEvent = EscalationPolicyAttached | EscalationPolicyDetached;

export type PolicyCommandMetadata = { now: string; actor: { kind: string; id: string; name?: string } };

export type CreateEscalationPolicy = {
  type: 'CreateEscalationPolicy';
  data: { policyId: string; name: string; levels: EscalationLevel[]; repeats: number };
  metadata: PolicyCommandMetadata;
};

export type ChangeEscalationPolicy = {
  type: 'ChangeEscalationPolicy';
  data: { policyId: string; name: string; levels: EscalationLevel[]; repeats: number };
  metadata: PolicyCommandMetadata;
};

export type EscalationPolicyCommand = CreateEscalationPolicy | ChangeEscalationPolicy;

export type AttachEscalationPolicy = {
  type: 'AttachEscalationPolicy';
  data: { service: string; severity: string | null; policyId: string };
  metadata: PolicyCommandMetadata;
};

export type DetachEscalationPolicy = {
  type: 'DetachEscalationPolicy';
  data: { service: string; severity: string | null };
  metadata: PolicyCommandMetadata;
};

export type EscalationRoutingCommand = AttachEscalationPolicy | DetachEscalationPolicy;

export type PolicyState = { status: 'none' } | ({ status: 'active' } & EscalationPolicy);

/** Severity → policy id; the key `*` holds the policy for any severity without its own. */
export type RoutingState = { service: string | null; routes: Readonly<Record<string, string>> };

export type PolicyDecision<E> = { ok: true; events: E[] } | { ok: false; error: PolicyError };

export const policyStreamId = (policyId: string): string => `escalation-policy-${policyId}`;
export const routingStreamId = (service: string): string => `escalation-routing-${service}`;

/** The routes' key for a severity, `*` for any. */
export const routeKey = (severity: string | null): string => severity ?? '*';
