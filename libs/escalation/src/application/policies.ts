import type { Pool, PoolClient } from 'pg';
import {
  newId,
  withTransaction,
  type CommandRunner,
  type PostgresEventStore,
  type RecordedEvent,
} from '#vigil/event-store';
import { EscalationError } from '../domain/escalation-errors.js';
import { decideRouting } from '../domain/policy-decide.js';
import type {
  EscalationPolicyEvent,
  EscalationRoutingCommand,
  EscalationRoutingEvent,
  PolicyState,
} from '../domain/policy-events.js';
import { policyStreamId, routeKey, routingStreamId } from '../domain/policy-events.js';
import { evolveRouting, initialRouting, policyAtVersion } from '../domain/policy-evolve.js';
import type { EscalationLevel, EscalationPolicy } from '../domain/policy.js';
import {
  appendInTransaction,
  metadataOf,
  policyDecider,
  ROUTING_STREAM_TYPE,
  type EscalationActor,
} from './streams.js';
import type { Users } from './users.js';
import type { Schedules } from './schedules.js';

export type Attachment = { service: string; severity: string | null };
export type PolicyView = EscalationPolicy & { attachments: Attachment[] };
export type PolicyInput = { name: string; levels: EscalationLevel[]; repeats?: number };

const notFound = (id: string) =>
  new EscalationError('PolicyNotFound', `Escalation policy ${id} does not exist`);

const policyOf = (state: Extract<PolicyState, { status: 'active' }>): EscalationPolicy => ({
  id: state.id,
  name: state.name,
  version: state.version,
  levels: state.levels,
  repeats: state.repeats,
});

/**
 * The statement that finds the route of a service at some severities (an SQL text[]): the route
 * for the incident's own severity if there is one, else the one for any severity ('*'). Shared by
 * `Policies.resolve` and the escalation starter, which runs it for a batch of openings at once.
 */
export const routeQuery = (service: string, severities: string) =>
  `SELECT policy_id FROM escalation_routes WHERE service = ${service} AND severity = ANY(${severities})
   ORDER BY severity = '*' LIMIT 1`;

/**
 * Escalation policies (a stream of versions each) and the routes from services to them (a stream per
 * service, mirrored into `escalation_routes` in the same transaction for quick lookups).
 */
export class Policies {
  /** Versions never change, so a policy at a version is kept once read. */
  private readonly versions = new Map<string, EscalationPolicy>();

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly runner: CommandRunner,
    private readonly users: Users,
    private readonly schedules: Schedules,
    private readonly severities: readonly string[],
    private readonly publish: (events: RecordedEvent[]) => void = () => undefined,
  ) {}

  async create(input: PolicyInput, actor: EscalationActor, now: string): Promise<PolicyView> {
    const policyId = newId();
    await this.checkTargets(input.levels);
    const result = await this.runner.handle(
      policyDecider,
      {
        type: 'CreateEscalationPolicy',
        data: { policyId, name: input.name, levels: input.levels, repeats: input.repeats ?? 0 },
        metadata: { now, actor },
      },
      { streamId: policyStreamId(policyId), metadata: metadataOf(actor), occurredAt: now },
    );
    if (result.state.status === 'none') throw notFound(policyId);
    return { ...policyOf(result.state), attachments: [] };
  }

  /** A new version of the policy; escalations already running keep the version they started with. */
  async change(id: string, input: PolicyInput, actor: EscalationActor, now: string): Promise<PolicyView> {
    await this.checkTargets(input.levels);
    const result = await this.runner.handle(
      policyDecider,
      {
        type: 'ChangeEscalationPolicy',
        data: { policyId: id, name: input.name, levels: input.levels, repeats: input.repeats ?? 0 },
        metadata: { now, actor },
      },
      { streamId: policyStreamId(id), metadata: metadataOf(actor), occurredAt: now },
    );
    if (result.state.status === 'none') throw notFound(id);
    return { ...policyOf(result.state), attachments: await this.attachments(id) };
  }

  /** The policy as it stands, or at `version`. */
  async get(id: string, version?: number): Promise<PolicyView> {
    const policy = version === undefined ? await this.current(id) : await this.atVersion(id, version);
    if (!policy) {
      if (version !== undefined && (await this.current(id))) {
        throw new EscalationError('PolicyNotFound', `Escalation policy ${id} has no version ${version}`);
      }
      throw notFound(id);
    }
    return { ...policy, attachments: await this.attachments(id) };
  }

  async current(id: string, db?: Pool | PoolClient): Promise<EscalationPolicy | null> {
    const { state } = await this.runner.load(policyDecider, policyStreamId(id), undefined, db);
    return state.status === 'active' ? policyOf(state) : null;
  }

  async atVersion(id: string, version: number, db?: Pool | PoolClient): Promise<EscalationPolicy | null> {
    const key = `${id}@${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const events = await this.store.readStream(policyStreamId(id), { toVersion: version }, db);
    const policy = policyAtVersion(
      events.map((e) => ({ type: e.type, data: e.data }) as EscalationPolicyEvent),
      version,
    );
    if (policy) this.versions.set(key, policy);
    return policy;
  }

  /** Where the policy is attached now. */
  async attachments(id: string): Promise<Attachment[]> {
    const { rows } = await this.pool.query<{ service: string; severity: string }>(
      `SELECT service, severity FROM escalation_routes WHERE policy_id = $1 ORDER BY service, severity`,
      [id],
    );
    return rows.map((r) => ({ service: r.service, severity: r.severity === '*' ? null : r.severity }));
  }

  attach(id: string, attachment: Attachment, actor: EscalationActor, now: string) {
    return this.route(
      {
        type: 'AttachEscalationPolicy',
        data: { service: attachment.service, severity: attachment.severity, policyId: id },
        metadata: { now, actor },
      },
      actor,
    );
  }

  detach(attachment: Attachment, actor: EscalationActor, now: string) {
    return this.route(
      {
        type: 'DetachEscalationPolicy',
        data: { service: attachment.service, severity: attachment.severity },
        metadata: { now, actor },
      },
      actor,
    );
  }

  /**
   * The policy that escalates an incident of `service` at `severity` now, at its current version:
   * the route for the severity if there is one, else the one for any severity.
   */
  async resolve(service: string, severity: string | null, db: Pool | PoolClient = this.pool) {
    const { rows } = await db.query<{ policy_id: string }>({
      name: 'vigil-escalation-route',
      text: routeQuery('$1', '$2::text[]'),
      values: [service, severity === null ? ['*'] : [severity, '*']],
    });
    const policyId = rows[0]?.policy_id;
    if (!policyId) return null;
    const version = await this.store.streamVersion(policyStreamId(policyId), db);
    return version > 0 ? { policyId, version } : null;
  }

  private async route(command: EscalationRoutingCommand, actor: EscalationActor) {
    const { service, severity } = command.data;
    const streamId = routingStreamId(service);
    const appended = await withTransaction(this.pool, async (tx) => {
      const events = await this.store.readStream(streamId, {}, tx);
      const state = events.reduce(
        (s, e) => evolveRouting(s, { type: e.type, data: e.data } as EscalationRoutingEvent),
        initialRouting,
      );
      const knownPolicy =
        command.type === 'AttachEscalationPolicy' &&
        /^[0-9a-f-]{36}$/i.test(command.data.policyId) &&
        (await this.store.streamVersion(policyStreamId(command.data.policyId), tx)) > 0;
      const decision = decideRouting(command, state, { knownPolicy, severities: this.severities });
      if (!decision.ok) throw new EscalationError(decision.error.code, decision.error.message);
      const recorded = await appendInTransaction(
        this.store,
        tx,
        { streamId, streamType: ROUTING_STREAM_TYPE, expectedVersion: events.at(-1)?.streamVersion ?? 0 },
        decision.events,
        { metadata: metadataOf(actor), occurredAt: command.metadata.now },
      );
      // The lookup table follows the stream in the same transaction.
      for (const event of decision.events) {
        if (event.type === 'EscalationPolicyAttached') {
          await tx.query(
            `INSERT INTO escalation_routes (service, severity, policy_id) VALUES ($1, $2, $3)
             ON CONFLICT (service, severity) DO UPDATE SET policy_id = EXCLUDED.policy_id, updated_at = now()`,
            [service, routeKey(severity), event.data.policyId],
          );
        } else {
          await tx.query(`DELETE FROM escalation_routes WHERE service = $1 AND severity = $2`, [
            service,
            routeKey(severity),
          ]);
        }
      }
      return recorded;
    });
    if (appended.length > 0) this.publish(appended);
    const policyId = command.type === 'AttachEscalationPolicy' ? command.data.policyId : null;
    return { service, severity, policyId };
  }

  /** Refuses levels that name users or schedules that do not exist (the domain checks the rest). */
  private async checkTargets(levels: unknown): Promise<void> {
    if (!Array.isArray(levels)) return;
    const targets = levels.flatMap((l: Partial<EscalationLevel> | null) =>
      Array.isArray(l?.targets) ? l.targets : [],
    );
    const ids = (kind: string) =>
      targets.flatMap((t) => (t?.kind === kind && typeof t.id === 'string' ? [t.id] : []));
    await this.users.assertExist(ids('user'));
    const missing: string[] = [];
    for (const id of new Set(ids('schedule'))) {
      if (!/^[0-9a-f-]{36}$/i.test(id) || !(await this.schedules.exists(id))) missing.push(id);
    }
    if (missing.length > 0)
      throw new EscalationError('UnknownSchedules', `No such schedule: ${missing.join(', ')}`);
  }
}
