import type { Pool, PoolClient } from 'pg';
import type { Clock } from '#vigil/common';
import {
  ConcurrencyError,
  FoldedStateCache,
  SubscriptionRunner,
  withTransaction,
  type PostgresEventStore,
  type RecordedEvent,
} from '#vigil/event-store';
import {
  decide,
  evolve,
  IncidentError,
  incidentStreamId,
  initialIncident,
  INCIDENT_STREAM_TYPE,
  nextEscalationStep,
  type EscalationTrigger,
  type Incident,
  type IncidentCommand,
  type IncidentEvent,
  type Source,
} from '#vigil/incidents';
import { EscalationError } from '../domain/escalation-errors.js';
import { resolveTargets, type PagingDirectory } from '../domain/paging.js';
import { delayAfterMs, stepOf, type EscalationPolicy } from '../domain/policy.js';
import { loadDirectory } from './directory.js';
import { EscalationStarter } from '../read-models/escalation-starter.projection.js';
import type { Policies } from './policies.js';
import type { Schedules } from './schedules.js';
import { appendAllInTransaction, metadataOf, sourceOf, type EscalationActor } from './streams.js';
import type { Users } from './users.js';

/** A pending (or past) escalation step: one row of `escalation_timers`. */
export interface TimerRow {
  incident_id: string;
  cycle: number;
  step: number;
  kind: 'page' | 'exhaust';
  level: number | null;
  repeat: number | null;
  due_at: Date;
  policy_id: string;
  policy_version: number;
  state: 'pending' | 'fired' | 'cancelled';
}

/** What a step did, as callers (the escalate endpoint, Slack) show it. */
export interface StepSummary {
  incidentId: string;
  cycle: number;
  step: number;
  kind: 'page' | 'exhaust';
  level: number | null;
  repeat: number | null;
  firedAt: string;
  paged: Array<{ userId: string | null; slackUserId: string | null; channelId: string | null }>;
}

export type AuditRepair = 'overdue-timer' | 'missing-timer' | 'starter-lag';

/** What the engine tells the outside about its work (metrics, logs). All optional. */
export interface EscalationHooks {
  stepFired?(trigger: EscalationTrigger, latenessMs: number): void;
  repaired?(kind: AuditRepair, count: number): void;
  error?(message: string, error: unknown): void;
}

export interface EscalationEngineOptions {
  /** How overdue a step must be (or how old a stalled cycle) before the auditor takes it: 10 s. */
  auditGraceMs?: number;
  /** Claims each tick works on at once: 4. */
  parallelism?: number;
}

/** The actor of steps the timers fire. */
export const ESCALATION_ACTOR: EscalationActor = { kind: 'system', id: 'escalation', name: 'Escalation' };
const AUDITOR_ACTOR: EscalationActor = {
  kind: 'system',
  id: 'escalation-auditor',
  name: 'Escalation auditor',
};

/** What a pass fires at most in one transaction. */
const FIRE_BATCH = 25;

type FireContext = { trigger: EscalationTrigger; actor: EscalationActor; source?: Source; now: Date };

/** A step's row, closed as fired or refused. */
interface TimerClose {
  timer: TimerRow;
  state: 'fired' | 'cancelled';
  outcome: string;
}

/** A step to write as pending (see armTimer). */
interface TimerArm {
  incidentId: string;
  cycle: number;
  step: number;
  policy: EscalationPolicy;
  dueAt: Date;
}

type Fired = {
  timer: TimerRow;
  trigger: EscalationTrigger;
  events: RecordedEvent[];
  latenessMs: number;
  refused?: IncidentError;
  /** The incident after the step, to remember once committed. */
  folded: { streamId: string; version: number; state: Incident };
};

const TIMER_COLUMNS =
  'incident_id, cycle, step, kind, level, repeat, due_at, policy_id, policy_version, state';

const timerKey = (t: Pick<TimerRow, 'incident_id' | 'cycle' | 'step'>) =>
  `${t.incident_id}/${t.cycle}/${t.step}`;

/**
 * Escalation with durable timers. A pending step is a row; `tick` takes in newly opened incidents
 * (the starter, a checkpointed subscription that writes each cycle's first timer) and then claims due
 * rows with FOR UPDATE SKIP LOCKED, each in its own transaction that appends the step to the incident's
 * stream at the version it read, marks the row fired and writes the next one. The incident's decision
 * refuses a step once the incident is acknowledged and any step but the next one, so a crash, a second
 * worker or a racing acknowledgement can neither repeat a step nor escalate after an acknowledgement.
 */
export class EscalationEngine {
  readonly starter: EscalationStarter;
  private readonly starterRunner: SubscriptionRunner;
  private readonly folded = new FoldedStateCache<Incident>(10_000);
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<{ started: number; fired: number }> | null = null;
  /**
   * Called once a batch of the starter that armed first steps has committed. The worker role sets
   * it while it runs, to fire them at once (`fireArmed`) instead of at the next tick.
   */
  whenArmed: (() => void) | null = null;
  /**
   * How the engine takes in openings when it must (each tick, a step found not yet started, the
   * auditor): its own runner of the starter unless set. The worker role sets its whole subscription
   * round here, so the starter never runs alone: apart, its checkpoint would drift from the read
   * models' and each round would read the log twice.
   */
  catchUpWith: (() => Promise<number>) | null = null;
  /** The queued pass must take in openings first (a tick), not only fire what is armed. */
  private catchUpFirst = false;
  private readonly graceMs: number;
  private readonly parallelism: number;

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly clock: Clock,
    private readonly users: Users,
    private readonly schedules: Schedules,
    private readonly policies: Policies,
    private readonly publish: (events: RecordedEvent[]) => void,
    private readonly hooks: EscalationHooks = {},
    options: EscalationEngineOptions = {},
  ) {
    // Whichever runner applies the starter: its own below, or the worker's subscription round.
    this.starter = new EscalationStarter(store, () => this.whenArmed?.());
    this.starterRunner = new SubscriptionRunner(pool, store, [this.starter], { batchSize: 1000 });
    this.graceMs = options.auditGraceMs ?? 10_000;
    this.parallelism = options.parallelism ?? 4;
  }

  /**
   * One pass: take in incidents opened or reopened since the last, then fire every step due by the
   * clock. Passes within a process run one after another; a call made while one waits shares it.
   */
  tick(): Promise<{ started: number; fired: number }> {
    this.catchUpFirst = true;
    return this.pass();
  }

  /** Fires the steps due now, without taking in openings: the starter just armed first steps. */
  fireArmed(): Promise<{ started: number; fired: number }> {
    return this.pass();
  }

  private pass(): Promise<{ started: number; fired: number }> {
    if (this.queued) return this.queued;
    const run = this.chain.then(async () => {
      this.queued = null;
      const catchUp = this.catchUpFirst;
      this.catchUpFirst = false;
      const started = catchUp ? await this.catchUpStarter() : 0;
      const fired = await this.fireDue(this.clock.now(), 'timer', ESCALATION_ACTOR);
      return { started, fired };
    });
    this.queued = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Takes in openings not yet taken (see catchUpWith), waiting for another worker holding them; answers the events of the log passed. */
  catchUpStarter(): Promise<number> {
    return this.catchUpWith ? this.catchUpWith() : this.starterRunner.catchUp(this.starter);
  }

  /**
   * Fires every pending step due at or before `dueBy`; answers how many steps it appended. Due steps
   * are claimed and fired in batches, each in one transaction with one statement per kind of write,
   * so a storm of incidents costs a few round trips a batch rather than a dozen a step. A batch that
   * fails (a step raced by an acknowledgement, or one that cannot be fired) is rolled back, and the
   * rest of the pass claims steps one at a time, each retried or set aside on its own.
   */
  async fireDue(dueBy: Date, trigger: EscalationTrigger, actor: EscalationActor): Promise<number> {
    let fired = 0;
    const failed: string[] = [];
    const claim = async () => {
      let batch: Fired[] | null = null;
      try {
        batch = await this.fireBatch(dueBy, trigger, actor, failed);
      } catch (error) {
        // A raced acknowledgement is expected; anything else is reported, and its step set aside below.
        if (!(error instanceof ConcurrencyError)) {
          this.hooks.error?.('a batch of escalation steps failed; its steps fire one at a time', error);
        }
      }
      if (batch !== null) {
        for (const f of batch) {
          if (f.events.length > 0) fired++;
          try {
            this.after(f);
          } catch (error) {
            this.hooks.error?.('a fired escalation step could not be announced', error);
          }
        }
        return batch.length > 0;
      }
      // After a failed batch, one step alone: retried, or set aside in `failed`, so the next batch goes.
      const setAside = failed.length;
      const outcome = await this.fireOne(dueBy, trigger, actor, failed).catch((error: unknown) => {
        this.hooks.error?.('an escalation step failed; the auditor will retry it', error);
        // Failed before it could claim a step (the database is unreachable, say): nothing moved,
        // and trying again at once would only fail again. The next tick tries.
        return failed.length > setAside ? ('failed' as const) : ('stuck' as const);
      });
      if (outcome === 'fired') fired++;
      return outcome !== 'none' && outcome !== 'stuck';
    };
    // Mostly nothing is due: one claim finds that out, and only a claim that found a step
    // brings in the parallel workers.
    if (!(await claim())) return fired;
    const worker = async () => {
      while (await claim());
    };
    await Promise.all(Array.from({ length: this.parallelism }, worker));
    return fired;
  }

  /** Claims up to `limit` due steps, oldest first, skipping those other transactions hold and `failed`. */
  private async claimDue(tx: PoolClient, dueBy: Date, failed: readonly string[], limit: number) {
    const { rows } = await tx.query<TimerRow>(
      `SELECT ${TIMER_COLUMNS} FROM escalation_timers
       WHERE state = 'pending' AND due_at <= $1
         AND (incident_id::text || '/' || cycle || '/' || step) <> ALL($2::text[])
       ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [dueBy, failed, limit],
    );
    return rows;
  }

  /** Claims a batch of due steps and fires them in one transaction (announce each after); empty when none is due. */
  private async fireBatch(
    dueBy: Date,
    trigger: EscalationTrigger,
    actor: EscalationActor,
    failed: readonly string[],
  ): Promise<Fired[]> {
    return withTransaction(this.pool, async (tx) => {
      const timers = await this.claimDue(tx, dueBy, failed, FIRE_BATCH);
      return timers.length === 0 ? [] : this.fireMany(tx, timers, { trigger, actor, now: this.clock.now() });
    });
  }

  private async fireOne(
    dueBy: Date,
    trigger: EscalationTrigger,
    actor: EscalationActor,
    failed: string[],
  ): Promise<'none' | 'fired' | 'cancelled' | 'failed'> {
    let claimed: TimerRow | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const fired = await withTransaction(this.pool, async (tx) => {
          claimed = (await this.claimDue(tx, dueBy, failed, 1))[0];
          if (!claimed) return null;
          return this.fire(tx, claimed, { trigger, actor, now: this.clock.now() });
        });
        if (!fired) return 'none';
        this.after(fired);
        return fired.events.length > 0 ? 'fired' : 'cancelled';
      } catch (error) {
        // Another writer appended to the incident first (an acknowledgement, another step): decide again.
        if (error instanceof ConcurrencyError && attempt < 3) continue;
        if (claimed) failed.push(timerKey(claimed));
        throw error;
      }
    }
  }

  /** Fires `timer` inside `tx`, which holds its row (see fireMany). */
  private async fire(tx: PoolClient, timer: TimerRow, context: FireContext): Promise<Fired> {
    return (await this.fireMany(tx, [timer], context))[0]!;
  }

  /**
   * Fires `timers` inside `tx`, which holds their rows, in order: decides each step against its
   * incident as it stands (after the steps before it in the batch), appends the steps at the versions
   * read, closes the rows and writes the next ones. A refused step closes its row as cancelled, with
   * the refusal's code, and appends nothing. Whatever the number of steps, the reads (policies apart,
   * which are kept by version) and the writes are one statement each.
   */
  private async fireMany(
    tx: PoolClient,
    timers: readonly TimerRow[],
    context: FireContext,
  ): Promise<Fired[]> {
    const { trigger, actor, now } = context;
    const nowIso = now.toISOString();
    const incidents = await this.loadIncidents(
      timers.map((t) => t.incident_id),
      tx,
    );
    const policies = new Map<string, EscalationPolicy | null>();
    for (const t of timers) {
      const key = `${t.policy_id}@${t.policy_version}`;
      if (!policies.has(key))
        policies.set(key, await this.policies.atVersion(t.policy_id, t.policy_version, tx));
    }
    const planned = timers.map((timer) => {
      const policy = policies.get(`${timer.policy_id}@${timer.policy_version}`) ?? null;
      return { timer, policy, step: policy ? stepOf(policy, timer.step) : null };
    });
    // Who every page step of the batch targets, as they stand now: read once.
    const targets = planned.flatMap(({ policy, step }) =>
      policy && step?.kind === 'page' ? policy.levels[step.level - 1]!.targets : [],
    );
    const directory =
      targets.length > 0 ? await loadDirectory(this.users, this.schedules, targets, tx) : null;

    const closes: TimerClose[] = [];
    const arms: TimerArm[] = [];
    const cycles: Array<{ incidentId: string; cycle: number; status: CycleStatus }> = [];
    const appends = new Map<string, { expectedVersion: number; events: IncidentEvent[] }>();
    const decided: Array<{ fired: Fired; events: number }> = [];
    for (const { timer, policy, step } of planned) {
      const incident = incidents.get(timer.incident_id)!;
      const base = { timer, trigger, latenessMs: 0, folded: incident };
      if (!policy || !step) {
        closes.push({ timer, state: 'cancelled', outcome: policy ? 'no-such-step' : 'policy-missing' });
        this.hooks.error?.(
          `escalation timer ${timerKey(timer)} names policy ${timer.policy_id} v${timer.policy_version}, which has no such step`,
          null,
        );
        decided.push({ fired: { ...base, events: [] }, events: 0 });
        continue;
      }
      const command = stepCommand(timer, policy, step, directory, context);
      let events: IncidentEvent[];
      try {
        events = decide(command, incident.state);
      } catch (error) {
        if (!(error instanceof IncidentError)) throw error;
        closes.push({ timer, state: 'cancelled', outcome: error.code });
        const status = cycleStatusAfter(incident.state, timer.cycle);
        if (status) cycles.push({ incidentId: timer.incident_id, cycle: timer.cycle, status });
        decided.push({ fired: { ...base, events: [], refused: error }, events: 0 });
        continue;
      }
      const append = appends.get(incident.streamId) ?? { expectedVersion: incident.version, events: [] };
      append.events.push(...events);
      appends.set(incident.streamId, append);
      closes.push({ timer, state: 'fired', outcome: trigger });
      if (step.kind === 'page') {
        arms.push({
          incidentId: timer.incident_id,
          cycle: timer.cycle,
          step: timer.step + 1,
          policy,
          dueAt: new Date(now.getTime() + delayAfterMs(policy, timer.step)),
        });
      } else {
        cycles.push({ incidentId: timer.incident_id, cycle: timer.cycle, status: 'exhausted' });
      }
      // The next step of the same incident in this batch decides on what this one leaves.
      const folded = {
        streamId: incident.streamId,
        version: incident.version + events.length,
        state: events.reduce(evolve, incident.state),
      };
      incidents.set(timer.incident_id, folded);
      decided.push({
        fired: {
          ...base,
          events: [],
          latenessMs: trigger === 'manual' ? 0 : Math.max(0, now.getTime() - timer.due_at.getTime()),
          folded,
        },
        events: events.length,
      });
    }

    const envelope = { metadata: metadataOf(actor, context.source), occurredAt: nowIso };
    const recorded = await appendAllInTransaction(
      this.store,
      tx,
      [...appends].map(([streamId, { expectedVersion, events }]) => ({
        target: { streamId, streamType: INCIDENT_STREAM_TYPE, expectedVersion },
        events,
      })),
      envelope,
    );
    // Arms before closes, as steps one after another would: a step armed while its row is pending
    // is left alone, whatever closes it later.
    await this.armTimers(tx, arms);
    await this.closeTimers(tx, closes, now);
    await this.setCycleStatuses(tx, cycles);
    // Each step's events, in the order its incident's append recorded them.
    const taken = new Map<string, number>();
    return decided.map(({ fired, events }) => {
      if (events === 0) return fired;
      const streamId = fired.folded.streamId;
      const from = taken.get(streamId) ?? 0;
      taken.set(streamId, from + events);
      return { ...fired, events: recorded.get(streamId)!.slice(from, from + events) };
    });
  }

  /** After the transaction committed: tell the process, remember the fold, count. */
  private after(fired: Fired): void {
    if (fired.events.length === 0) return;
    this.folded.set(fired.folded.streamId, fired.folded.version, fired.folded.state);
    this.publish(fired.events);
    this.hooks.stepFired?.(fired.trigger, fired.latenessMs);
  }

  private async loadIncident(incidentId: string, tx: PoolClient) {
    return (await this.loadIncidents([incidentId], tx)).get(incidentId)!;
  }

  /** The incidents as they stand, each read from where this process's fold of it left off, in one read. */
  private async loadIncidents(incidentIds: readonly string[], tx: PoolClient) {
    const starts = new Map(
      incidentIds.map((id) => {
        const streamId = incidentStreamId(id);
        return [id, { streamId, cached: this.folded.get(streamId) }] as const;
      }),
    );
    const read = await this.store.readStreams(
      [...starts.values()].map(({ streamId, cached }) => ({ streamId, fromVersion: cached?.version ?? 0 })),
      tx,
    );
    const incidents = new Map<string, { streamId: string; state: Incident; version: number }>();
    for (const [id, { streamId, cached }] of starts) {
      const events = read.get(streamId) ?? [];
      let state = cached?.state ?? initialIncident;
      let version = cached?.version ?? 0;
      for (const e of events) {
        state = evolve(state, { type: e.type, data: e.data } as IncidentEvent);
        version = e.streamVersion;
      }
      // Read inside the transaction before anything is appended: committed events only.
      if (events.length > 0) this.folded.set(streamId, version, state);
      incidents.set(id, { streamId, state, version });
    }
    return incidents;
  }

  /** Closes the rows of fired or refused steps, in one statement. */
  private async closeTimers(tx: PoolClient, closes: readonly TimerClose[], now: Date): Promise<void> {
    if (closes.length === 0) return;
    await tx.query(
      `UPDATE escalation_timers t SET state = c.state, outcome = c.outcome, fired_at = $6
       FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::text[]) AS c(incident_id, cycle, step, state, outcome)
       WHERE t.incident_id = c.incident_id AND t.cycle = c.cycle AND t.step = c.step`,
      [
        closes.map((c) => c.timer.incident_id),
        closes.map((c) => c.timer.cycle),
        closes.map((c) => c.timer.step),
        closes.map((c) => c.state),
        closes.map((c) => c.outcome),
        now,
      ],
    );
  }

  /**
   * Writes step `step` of a cycle as pending, due at `dueAt`; a cancelled row of the same step is armed
   * again (a repair), a pending or fired one is left alone. Answers the row if it is now pending.
   */
  async armTimer(
    tx: PoolClient,
    incidentId: string,
    cycle: number,
    step: number,
    policy: EscalationPolicy,
    dueAt: Date,
  ): Promise<TimerRow | undefined> {
    return (await this.armTimers(tx, [{ incidentId, cycle, step, policy, dueAt }]))[0];
  }

  /** armTimer for many steps, in one statement; a step its policy does not have is not written. */
  private async armTimers(tx: PoolClient, arms: readonly TimerArm[]): Promise<TimerRow[]> {
    const rows = arms.flatMap((arm) => {
      const what = stepOf(arm.policy, arm.step);
      return what ? [{ arm, what }] : [];
    });
    if (rows.length === 0) return [];
    const { rows: armed } = await tx.query<TimerRow>(
      `INSERT INTO escalation_timers (incident_id, cycle, step, kind, level, repeat, due_at, policy_id, policy_version)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::int[],
                            $7::timestamptz[], $8::uuid[], $9::int[])
       ON CONFLICT (incident_id, cycle, step) DO UPDATE
         SET state = 'pending', due_at = EXCLUDED.due_at, outcome = NULL, fired_at = NULL
         WHERE escalation_timers.state = 'cancelled'
       RETURNING ${TIMER_COLUMNS}`,
      [
        rows.map(({ arm }) => arm.incidentId),
        rows.map(({ arm }) => arm.cycle),
        rows.map(({ arm }) => arm.step),
        rows.map(({ what }) => what.kind),
        rows.map(({ what }) => (what.kind === 'page' ? what.level : null)),
        rows.map(({ what }) => (what.kind === 'page' ? what.repeat : null)),
        rows.map(({ arm }) => arm.dueAt),
        rows.map(({ arm }) => arm.policy.id),
        rows.map(({ arm }) => arm.policy.version),
      ],
    );
    return armed;
  }

  private async setCycleStatus(tx: PoolClient, incidentId: string, cycle: number, status: CycleStatus) {
    await this.setCycleStatuses(tx, [{ incidentId, cycle, status }]);
  }

  /** Settles escalating cycles, in one statement. */
  private async setCycleStatuses(
    tx: PoolClient,
    settled: ReadonlyArray<{ incidentId: string; cycle: number; status: CycleStatus }>,
  ): Promise<void> {
    // The first status of a cycle wins, as it would one statement after another (the next finds it
    // no longer escalating).
    const first = new Map<string, (typeof settled)[number]>();
    for (const c of settled)
      if (!first.has(`${c.incidentId}/${c.cycle}`)) first.set(`${c.incidentId}/${c.cycle}`, c);
    const cycles = [...first.values()];
    if (cycles.length === 0) return;
    await tx.query(
      `UPDATE escalation_cycles c SET status = s.status, updated_at = now()
       FROM unnest($1::uuid[], $2::int[], $3::text[]) AS s(incident_id, cycle, status)
       WHERE c.incident_id = s.incident_id AND c.cycle = s.cycle AND c.status = 'escalating'`,
      [cycles.map((c) => c.incidentId), cycles.map((c) => c.cycle), cycles.map((c) => c.status)],
    );
  }

  /**
   * Fires the incident's next step now, on behalf of `actor`: the pending timer of that step is taken
   * early (the one after it is then due a full delay later). If the tick fired that very step meanwhile,
   * that is the move asked for, and nothing more is fired.
   */
  async escalate(incidentId: string, actor: EscalationActor, source?: Source): Promise<StepSummary> {
    for (let attempt = 0; attempt < 12; attempt++) {
      const now = this.clock.now();
      let outcome: Fired | 'catch-up' | 'retry' | { moved: TimerRow };
      try {
        outcome = await withTransaction(this.pool, async (tx) => {
          const { state } = await this.loadIncident(incidentId, tx);
          if (state.status === 'none') {
            throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
          }
          if (state.status !== 'triggered') {
            throw new IncidentError(
              'EscalationStopped',
              `Incident ${incidentId} is ${state.status}; escalation stops once it is acknowledged`,
            );
          }
          const { cycle, step } = nextEscalationStep(state);
          if (state.escalation?.cycle === cycle && state.escalation.exhausted) {
            throw new EscalationError(
              'EscalationExhausted',
              `Escalation of incident ${incidentId} already paged every level of its policy; page someone by hand`,
            );
          }
          const { rows } = await tx.query<TimerRow>(
            `SELECT ${TIMER_COLUMNS} FROM escalation_timers
             WHERE incident_id = $1 AND cycle = $2 AND step = $3 FOR UPDATE`,
            [incidentId, cycle, step],
          );
          const timer = rows[0];
          if (timer?.state === 'pending')
            return this.fire(tx, timer, { trigger: 'manual', actor, source, now });
          if (timer?.state === 'fired') return { moved: timer };
          const { rows: cycles } = await tx.query<{
            policy_id: string | null;
            policy_version: number | null;
            service: string;
            severity: string;
          }>(
            `SELECT policy_id, policy_version, service, severity FROM escalation_cycles
             WHERE incident_id = $1 AND cycle = $2`,
            [incidentId, cycle],
          );
          const known = cycles[0];
          // Not taken in by the starter yet (just opened): catch it up, for up to about half a second.
          if (!known) return attempt < 10 ? 'catch-up' : noPolicy(incidentId, state);
          if (known.policy_id === null || known.policy_version === null) {
            throw noPolicyError(incidentId, known.service, known.severity);
          }
          // The chain of timers broke (the auditor would find it): arm the step and fire it now.
          const policy = await this.policies.atVersion(known.policy_id, known.policy_version, tx);
          const armed = policy && (await this.armTimer(tx, incidentId, cycle, step, policy, now));
          if (!armed) return 'retry';
          return this.fire(tx, armed, { trigger: 'manual', actor, source, now });
        });
      } catch (error) {
        if (error instanceof ConcurrencyError) continue;
        throw error;
      }
      if (outcome === 'catch-up') {
        if ((await this.catchUpStarter()) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (outcome === 'retry') continue;
      if ('moved' in outcome) return this.summaryOf(outcome.moved);
      this.after(outcome);
      if (outcome.refused) throw outcome.refused;
      return summarise(outcome);
    }
    throw new IncidentError(
      'EscalationStepStale',
      `Escalation of incident ${incidentId} kept moving; try again`,
    );
  }

  private async summaryOf(timer: TimerRow): Promise<StepSummary> {
    const events = await this.store.readStream(incidentStreamId(timer.incident_id));
    const mine = events.filter(
      (e) =>
        (e.type === 'ResponderPaged' ||
          e.type === 'EscalationStepStarted' ||
          e.type === 'EscalationExhausted') &&
        (e.data as { cycle: number; step: number | null }).cycle === timer.cycle &&
        (e.data as { step: number | null }).step === timer.step,
    );
    return summarise({ timer, events: mine });
  }

  /**
   * The auditor: finds escalations that should have advanced and did not, and advances them. Steps
   * overdue by more than the grace (the tick did not fire them), escalating cycles with no pending
   * step (the chain of timers broke), and openings the starter has not taken in.
   */
  async audit(): Promise<Record<AuditRepair, number>> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.graceMs);
    const report: Record<AuditRepair, number> = { 'starter-lag': 0, 'overdue-timer': 0, 'missing-timer': 0 };

    report['starter-lag'] = await this.starterLag();
    if (report['starter-lag'] > 0) await this.catchUpStarter();

    report['overdue-timer'] = await this.fireDue(cutoff, 'auditor', AUDITOR_ACTOR);

    const { rows } = await this.pool.query<{ incident_id: string; cycle: number }>(
      `SELECT c.incident_id, c.cycle FROM escalation_cycles c
       WHERE c.status = 'escalating' AND c.opened_at <= $1
         AND NOT EXISTS (SELECT 1 FROM escalation_timers t
                         WHERE t.incident_id = c.incident_id AND t.cycle = c.cycle AND t.state = 'pending')
       ORDER BY c.opened_at LIMIT 200`,
      [cutoff],
    );
    for (const row of rows) {
      try {
        if (await this.repairCycle(row.incident_id, row.cycle)) report['missing-timer']++;
      } catch (error) {
        this.hooks.error?.(`the auditor could not repair incident ${row.incident_id}`, error);
      }
    }
    for (const kind of Object.keys(report) as AuditRepair[]) {
      if (report[kind] > 0) this.hooks.repaired?.(kind, report[kind]);
    }
    return report;
  }

  /** Incident openings older than the grace that the starter has not taken in. */
  private async starterLag(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events e
       WHERE (e.transaction_id, e.global_position) >
             (SELECT coalesce(max(transaction_id), '0'::xid8), coalesce(max(global_position), 0)
              FROM subscription_checkpoints WHERE subscription_name = $1)
         AND e.stream_type = $2 AND e.type IN ('IncidentOpened', 'IncidentReopened')
         AND e.recorded_at < now() - make_interval(secs => $3)`,
      [this.starter.name, INCIDENT_STREAM_TYPE, this.graceMs / 1000],
    );
    return rows[0]?.n ?? 0;
  }

  /** One stalled cycle: settles its status from the stream, or arms and fires its next step. */
  private async repairCycle(incidentId: string, cycle: number): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fired = await withTransaction(this.pool, async (tx) => {
          const { rows } = await tx.query<{ policy_id: string; policy_version: number }>(
            `SELECT policy_id, policy_version FROM escalation_cycles
             WHERE incident_id = $1 AND cycle = $2 AND status = 'escalating'
               AND NOT EXISTS (SELECT 1 FROM escalation_timers t
                               WHERE t.incident_id = $1 AND t.cycle = $2 AND t.state = 'pending')
             FOR UPDATE SKIP LOCKED`,
            [incidentId, cycle],
          );
          const row = rows[0];
          if (!row) return null;
          const { state } = await this.loadIncident(incidentId, tx);
          const settled = cycleStatusAfter(state, cycle);
          if (settled) {
            await this.setCycleStatus(tx, incidentId, cycle, settled);
            return null;
          }
          const policy = await this.policies.atVersion(row.policy_id, row.policy_version, tx);
          if (!policy || state.status === 'none') return null;
          const now = this.clock.now();
          const timer = await this.armTimer(
            tx,
            incidentId,
            cycle,
            nextEscalationStep(state).step,
            policy,
            now,
          );
          if (!timer) return null;
          return this.fire(tx, timer, { trigger: 'auditor', actor: AUDITOR_ACTOR, now });
        });
        if (!fired) return false;
        this.after(fired);
        return fired.events.length > 0;
      } catch (error) {
        if (error instanceof ConcurrencyError) continue;
        throw error;
      }
    }
    return false;
  }
}

type CycleStatus = 'stopped' | 'exhausted' | 'superseded';

/** Where a cycle stands by the incident's stream, when it no longer escalates; null while it does. */
/** The incident command a due step stands for: a page of its level's targets as they stand, or exhaustion. */
const stepCommand = (
  timer: TimerRow,
  policy: EscalationPolicy,
  step: NonNullable<ReturnType<typeof stepOf>>,
  directory: PagingDirectory | null,
  { trigger, actor, source, now }: FireContext,
): IncidentCommand => {
  const nowIso = now.toISOString();
  const ref = {
    id: policy.id,
    version: policy.version,
    name: policy.name,
    levels: policy.levels.length,
    repeats: policy.repeats,
  };
  const metadata = { now: nowIso, actor, source: source ?? sourceOf(actor) };
  if (step.kind !== 'page') {
    return {
      type: 'ExhaustEscalation',
      data: { incidentId: timer.incident_id, cycle: timer.cycle, step: timer.step, policy: ref },
      metadata,
    };
  }
  const level = policy.levels[step.level - 1]!;
  return {
    type: 'StartEscalationStep',
    data: {
      incidentId: timer.incident_id,
      cycle: timer.cycle,
      step: timer.step,
      policy: ref,
      delayMinutes: level.delayMinutes,
      targets: resolveTargets(level.targets, directory!, now, {
        label: `level ${step.level} of policy ${policy.name} v${policy.version}`,
      }),
      trigger,
      scheduledFor: trigger === 'manual' ? nowIso : timer.due_at.toISOString(),
    },
    metadata,
  };
};

const cycleStatusAfter = (state: Incident, cycle: number): CycleStatus | null => {
  if (state.status === 'none') return 'stopped';
  if (state.reopenCount > cycle) return 'superseded';
  if (state.status !== 'triggered') return 'stopped';
  if (state.escalation?.cycle === cycle && state.escalation.exhausted) return 'exhausted';
  return null;
};

const noPolicyError = (incidentId: string, service: string, severity: string) =>
  new EscalationError(
    'NoEscalationPolicy',
    `No escalation policy was attached to service ${service} (for ${severity} or any severity) when incident ${incidentId} opened`,
  );

const noPolicy = (incidentId: string, state: Incident): never => {
  if (state.status === 'none')
    throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
  throw noPolicyError(incidentId, state.service, state.severity);
};

const summarise = ({ timer, events }: { timer: TimerRow; events: RecordedEvent[] }): StepSummary => {
  const started = events.find((e) => e.type === 'EscalationStepStarted' || e.type === 'EscalationExhausted');
  return {
    incidentId: timer.incident_id,
    cycle: timer.cycle,
    step: timer.step,
    kind: timer.kind,
    level: timer.level,
    repeat: timer.repeat,
    firedAt: started?.occurredAt ?? new Date().toISOString(),
    paged: events
      .filter((e) => e.type === 'ResponderPaged')
      .map((e) => {
        const d = e.data as { userId: string | null; slackUserId: string | null; channelId: string | null };
        return { userId: d.userId, slackUserId: d.slackUserId, channelId: d.channelId };
      }),
  };
};
