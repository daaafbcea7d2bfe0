import type { Pool } from 'pg';
import type { Clock } from '#vigil/common';
import type { CommandRunner, PostgresEventStore } from '#vigil/event-store';
import {
  incidentDecider,
  IncidentError,
  incidentStreamId,
  type EscalationTargetOutcome,
  type ResponderPaged,
  type Source,
} from '#vigil/incidents';
import { EscalationError } from '../domain/escalation-errors.js';
import { resolveTargets } from '../domain/paging.js';
import type { EscalationTarget } from '../domain/policy.js';
import { loadDirectory } from './directory.js';
import type { EscalationEngine, StepSummary } from './escalation-engine.js';
import { explainPaging, type PagingExplanation } from './paging-explanation.js';
import type { Policies } from './policies.js';
import type { Schedules } from './schedules.js';
import { metadataOf, type EscalationActor } from './streams.js';
import { isUserId, type Users } from './users.js';

/** Someone on call for a service: a user the service's policy pages first. */
export interface OnCallUser {
  userId: string;
  name: string;
  slackUserId: string | null;
  /** The target of level 1 that names them: the user directly, or a schedule they are on call in. */
  via: EscalationTarget;
  explanation: string;
}

export interface OnCallAnswer {
  service: string;
  severity: string | null;
  at: string;
  /** The policy that applies, at its current version; null when none is attached. */
  policy: { id: string; name: string; version: number } | null;
  /** Whom level 1 pages at `at`, and every target's outcome (channels and nobody-on-call included). */
  users: OnCallUser[];
  targets: EscalationTargetOutcome[];
}

export type PageTarget = { userId: string } | { scheduleId: string };

export interface EscalationOptions {
  /** Defaults by the actor: slack for a Slack actor, api otherwise. */
  source?: Source;
}

/**
 * What the rest of Vigil (the REST API, the Slack app) asks of escalation. Paging itself is the
 * ResponderPaged event: consumers of the log turn it into messages.
 */
export class Escalations {
  constructor(
    private readonly engine: EscalationEngine,
    private readonly users: Users,
    private readonly schedules: Schedules,
    private readonly policies: Policies,
    private readonly runner: CommandRunner,
    private readonly store: PostgresEventStore,
    private readonly pool: Pool,
    private readonly clock: Clock,
  ) {}

  /**
   * Moves the incident's escalation to its next level now. Refuses (IncidentError `EscalationStopped`)
   * once the incident is acknowledged, and (EscalationError) when no policy escalates it or every level
   * was paged already.
   */
  async escalateNow(
    incidentId: string,
    actor: EscalationActor,
    options: EscalationOptions = {},
  ): Promise<void> {
    await this.engine.escalate(incidentId, actor, options.source);
  }

  /** `escalateNow`, answering what the step did. */
  escalate(
    incidentId: string,
    actor: EscalationActor,
    options: EscalationOptions = {},
  ): Promise<StepSummary> {
    return this.engine.escalate(incidentId, actor, options.source);
  }

  /**
   * Who is on call for `service` at `at` (now by default): whom level 1 of the policy attached to the
   * service (for `severity`, else for any severity) would page, with their Slack ids.
   */
  async onCall(service: string, at?: Date, severity: string | null = null): Promise<OnCallAnswer> {
    const instant = at ?? this.clock.now();
    const route = await this.policies.resolve(service, severity);
    const policy = route && (await this.policies.atVersion(route.policyId, route.version));
    const answer = { service, severity, at: instant.toISOString() };
    if (!policy) return { ...answer, policy: null, users: [], targets: [] };
    const level = policy.levels[0]!;
    const directory = await loadDirectory(this.users, this.schedules, level.targets);
    const targets = resolveTargets(level.targets, directory, instant, {
      label: `level 1 of policy ${policy.name} v${policy.version}`,
    });
    return {
      ...answer,
      policy: { id: policy.id, name: policy.name, version: policy.version },
      users: targets.flatMap((t) =>
        t.outcome === 'paged' && t.userId !== null
          ? [
              {
                userId: t.userId,
                name: t.userName ?? t.userId,
                slackUserId: t.slackUserId,
                via: t.target,
                explanation: t.explanation,
              },
            ]
          : [],
      ),
      targets,
    };
  }

  /**
   * Pages a user, or whoever is on call in a schedule now, for the incident, outside its policy: one
   * ResponderPaged event. Allowed while the incident is open, acknowledged or not.
   */
  async page(
    incidentId: string,
    target: PageTarget,
    actor: EscalationActor,
    options: EscalationOptions = {},
  ): Promise<ResponderPaged['data']> {
    const now = this.clock.now();
    let userId: string;
    let via: { kind: 'user' | 'schedule'; id: string };
    let explanation: string;
    const by = actor.name ?? actor.id;
    if ('userId' in target) {
      userId = target.userId;
      via = { kind: 'user', id: userId };
      explanation = `Paged by hand by ${by}`;
    } else {
      const onCall = await this.schedules.onCall(target.scheduleId, now);
      if (onCall.userId === null) throw new EscalationError('NobodyOnCall', onCall.explanation);
      userId = onCall.userId;
      via = { kind: 'schedule', id: target.scheduleId };
      explanation = `Paged by hand by ${by}: ${onCall.explanation}`;
    }
    const user = isUserId(userId) ? await this.users.get(userId) : null;
    if (!user) throw new EscalationError('UserNotFound', `User ${userId} does not exist`);
    const result = await this.runner.handle(
      incidentDecider,
      {
        type: 'PageResponder',
        data: {
          incidentId,
          target: via,
          userId: user.id,
          userName: user.name,
          slackUserId: user.slackUserId,
          explanation,
        },
        metadata: {
          now: now.toISOString(),
          actor,
          source: options.source ?? (metadataOf(actor).source as Source),
        },
      },
      {
        streamId: incidentStreamId(incidentId),
        metadata: metadataOf(actor, options.source),
        occurredAt: now.toISOString(),
      },
    );
    const paged = result.events.find((e) => e.type === 'ResponderPaged');
    if (!paged) throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
    return paged.data as ResponderPaged['data'];
  }

  /** For each step of each escalation cycle: the policy, who was on call and why, who was paged and who not. */
  explain(incidentId: string): Promise<PagingExplanation> {
    return explainPaging(incidentId, {
      store: this.store,
      pool: this.pool,
      policies: this.policies,
      schedules: this.schedules,
    });
  }
}
