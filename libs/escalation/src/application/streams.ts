import type { PoolClient } from 'pg';
import type { Decider, EventMetadata, PostgresEventStore, RecordedEvent } from '#vigil/event-store';
import type { Actor, Source } from '#vigil/incidents';
import { decideSchedule } from '../domain/schedule-decide.js';
import type { ScheduleCommand } from '../domain/schedule-commands.js';
import type { ScheduleEvent, ScheduleState } from '../domain/schedule-events.js';
import { evolveSchedule, initialSchedule } from '../domain/schedule-evolve.js';
import { decidePolicy } from '../domain/policy-decide.js';
import type { EscalationPolicyCommand, EscalationPolicyEvent, PolicyState } from '../domain/policy-events.js';
import { evolvePolicy, initialPolicy } from '../domain/policy-evolve.js';
import { EscalationError } from '../domain/escalation-errors.js';

export const SCHEDULE_STREAM_TYPE = 'schedule';
export const POLICY_STREAM_TYPE = 'escalation-policy';
export const ROUTING_STREAM_TYPE = 'escalation-routing';

/** Who acts, as every event's metadata records it: an incident actor (api-key, slack, user, system). */
export type EscalationActor = Actor;

/**
 * Several schedule commands decided in order against the state each leaves, appended together: a
 * schedule created with its layers is one append. The first refusal refuses them all.
 */
export const scheduleDecider: Decider<ScheduleState, ScheduleCommand[], ScheduleEvent> = {
  streamType: SCHEDULE_STREAM_TYPE,
  initialState: initialSchedule,
  evolve: evolveSchedule,
  decide: (commands, state) => {
    const events: ScheduleEvent[] = [];
    let current = state;
    for (const command of commands) {
      const decision = decideSchedule(command, current);
      if (!decision.ok) throw new EscalationError(decision.error.code, decision.error.message);
      events.push(...decision.events);
      current = decision.events.reduce(evolveSchedule, current);
    }
    return events;
  },
};

export const policyDecider: Decider<PolicyState, EscalationPolicyCommand, EscalationPolicyEvent> = {
  streamType: POLICY_STREAM_TYPE,
  initialState: initialPolicy,
  evolve: evolvePolicy,
  decide: (command, state) => {
    const decision = decidePolicy(command, state);
    if (!decision.ok) throw new EscalationError(decision.error.code, decision.error.message);
    return decision.events;
  },
};

/** Appends decided events inside the caller's transaction at the version it loaded. */
export const appendInTransaction = async (
  store: PostgresEventStore,
  tx: PoolClient,
  target: { streamId: string; streamType: string; expectedVersion: number },
  events: ReadonlyArray<{ type: string; data: unknown }>,
  envelope: { metadata: EventMetadata; occurredAt: string },
): Promise<RecordedEvent[]> =>
  (await appendAllInTransaction(store, tx, [{ target, events }], envelope)).get(target.streamId) ?? [];

/**
 * Appends the decided events of several streams inside the caller's transaction, each at the version
 * it loaded, in one statement: all or none. Answers each stream's recorded events.
 */
export const appendAllInTransaction = async (
  store: PostgresEventStore,
  tx: PoolClient,
  appends: ReadonlyArray<{
    target: { streamId: string; streamType: string; expectedVersion: number };
    events: ReadonlyArray<{ type: string; data: unknown }>;
  }>,
  envelope: { metadata: EventMetadata; occurredAt: string },
): Promise<Map<string, RecordedEvent[]>> => {
  const requests = appends
    .filter((a) => a.events.length > 0)
    .map(({ target, events }) => ({
      ...target,
      events: events.map((e) => ({
        type: e.type,
        data: e.data,
        metadata: envelope.metadata,
        occurredAt: envelope.occurredAt,
      })),
    }));
  if (requests.length === 0) return new Map();
  const results = await store.appendMany(requests, tx);
  return new Map(results.map((r) => [r.streamId, r.events]));
};

/** The envelope metadata of an actor's change through the API, the system's own otherwise. */
export const sourceOf = (actor: EscalationActor): Source =>
  actor.kind === 'slack'
    ? 'slack'
    : actor.kind === 'system'
      ? 'system'
      : actor.kind === 'alert'
        ? 'alert'
        : 'api';

export const metadataOf = (actor: EscalationActor, source?: Source): EventMetadata => ({
  actor: { kind: actor.kind, id: actor.id, ...(actor.name ? { name: actor.name } : {}) },
  source: source ?? sourceOf(actor),
});
