import type { Pool } from 'pg';
import type { Clock } from '#vigil/common';
import type { CommandRunner, PostgresEventStore, RecordedEvent } from '#vigil/event-store';
import { SEVERITIES } from '#vigil/incidents';
import { EscalationEngine, type EscalationEngineOptions, type EscalationHooks } from './escalation-engine.js';
import { Escalations } from './escalations.js';
import { EscalationWorker, type EscalationWorkerOptions } from './escalation-worker.js';
import { Policies } from './policies.js';
import { Schedules } from './schedules.js';
import { Users } from './users.js';

/** Everything escalation holds in a Vigil process. */
export interface EscalationRuntime {
  users: Users;
  schedules: Schedules;
  policies: Policies;
  engine: EscalationEngine;
  escalations: Escalations;
  /** Started by the worker role only. */
  worker: EscalationWorker;
}

export interface EscalationDeps {
  pool: Pool;
  store: PostgresEventStore;
  commands: CommandRunner;
  clock: Clock;
  /** Tells the process about committed events (subscriptions, the in-process bus). */
  publish: (events: RecordedEvent[]) => void;
  hooks?: EscalationHooks;
  engine?: EscalationEngineOptions;
  worker?: EscalationWorkerOptions;
}

export const createEscalation = (deps: EscalationDeps): EscalationRuntime => {
  const users = new Users(deps.pool);
  const schedules = new Schedules(deps.store, deps.commands, users);
  const policies = new Policies(
    deps.pool,
    deps.store,
    deps.commands,
    users,
    schedules,
    SEVERITIES,
    deps.publish,
  );
  const engine = new EscalationEngine(
    deps.pool,
    deps.store,
    deps.clock,
    users,
    schedules,
    policies,
    deps.publish,
    deps.hooks,
    deps.engine,
  );
  const escalations = new Escalations(
    engine,
    users,
    schedules,
    policies,
    deps.commands,
    deps.store,
    deps.pool,
    deps.clock,
  );
  const worker = new EscalationWorker(engine, { onError: deps.hooks?.error, ...deps.worker });
  return { users, schedules, policies, engine, escalations, worker };
};
