import type { Pool } from 'pg';
import type { EventMetadata, PostgresEventStore } from '#vigil/event-store';
import {
  IncidentError,
  incidentStreamId,
  type EscalationExhausted,
  type EscalationStepStarted,
  type EscalationTargetOutcome,
  type EscalationTargetRef,
  type IncidentOpened,
  type NotPagedReason,
  type ResponderPaged,
} from '#vigil/incidents';
import { whoIsOnCall, type OnCall } from '../domain/on-call.js';
import { explainOnCall } from '../domain/paging.js';
import type { EscalationLevel } from '../domain/policy.js';
import type { TimedScheduleEvent } from '../domain/schedule-events.js';
import { scheduleAsOf } from '../domain/schedule-evolve.js';
import type { Policies } from './policies.js';
import type { Schedules } from './schedules.js';

/** Who was on call in a schedule target at the step's instant, by the schedule as it then stood. */
export type OnCallAtStep = Pick<OnCall, 'userId' | 'reason' | 'shift' | 'layers' | 'overrides'> & {
  explanation: string;
};

export interface ExplainedTarget {
  target: EscalationTargetRef;
  outcome: 'paged' | 'not-paged';
  reason: NotPagedReason | null;
  userId: string | null;
  userName: string | null;
  slackUserId: string | null;
  channelId: string | null;
  explanation: string;
  /** For schedule targets: the schedule's answer at the step's instant; null if it did not exist then. */
  onCall?: OnCallAtStep | null;
}

export type ExplainedStep =
  | {
      kind: 'page';
      step: number;
      level: number;
      repeat: number;
      policy: { id: string; version: number; name: string };
      trigger: string;
      actor: EventMetadata['actor'] | null;
      scheduledFor: string;
      firedAt: string;
      /** How late the step fired. */
      delayMs: number;
      delayMinutes: number;
      nextStepAt: string;
      targets: ExplainedTarget[];
      paged: ExplainedTarget[];
      notPaged: ExplainedTarget[];
    }
  | {
      kind: 'exhaust';
      step: number;
      policy: { id: string; version: number };
      at: string;
      levels: number;
      repeats: number;
    };

export interface ExplainedCycle {
  cycle: number;
  openedAt: string;
  /** The policy the cycle escalated under, at its version; null when none was attached. */
  policy: { id: string; version: number; name: string; levels: EscalationLevel[]; repeats: number } | null;
  status: string | null;
  note: string | null;
  steps: ExplainedStep[];
  /** What stopped escalation: the first acknowledgement or resolution of the cycle. */
  stoppedBy: { type: string; at: string; actor: EventMetadata['actor'] | null } | null;
  /** The step waiting on its timer, if any. */
  pending: { step: number; level: number | null; dueAt: string } | null;
}

export interface PagingExplanation {
  incidentId: string;
  service: string;
  severity: string;
  cycles: ExplainedCycle[];
  /** Pages by hand, outside any policy. */
  manualPages: Array<ResponderPaged['data'] & { actor: EventMetadata['actor'] | null }>;
}

interface Deps {
  store: PostgresEventStore;
  pool: Pool;
  policies: Policies;
  schedules: Schedules;
}

/** Reads the incident's stream (the record of what happened) and says why each page went where it did. */
export const explainPaging = async (incidentId: string, deps: Deps): Promise<PagingExplanation> => {
  const events = await deps.store.readStream(incidentStreamId(incidentId));
  const opened = events.find((e) => e.type === 'IncidentOpened');
  if (!opened) throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
  const { service, severity } = opened.data as IncidentOpened['data'];

  const { rows: cycleRows } = await deps.pool.query<{
    cycle: number;
    policy_id: string | null;
    policy_version: number | null;
    status: string;
    service: string;
    severity: string;
  }>(
    `SELECT cycle, policy_id, policy_version, status, service, severity FROM escalation_cycles
     WHERE incident_id = $1::uuid ORDER BY cycle`,
    [incidentId],
  );
  const { rows: pendingRows } = await deps.pool.query<{
    cycle: number;
    step: number;
    level: number | null;
    due_at: Date;
  }>(
    `SELECT cycle, step, level, due_at FROM escalation_timers WHERE incident_id = $1::uuid AND state = 'pending'`,
    [incidentId],
  );

  const histories = new Map<string, Promise<TimedScheduleEvent[]>>();
  const historyOf = (id: string) => {
    let history = histories.get(id);
    if (!history) {
      history = deps.schedules.history(id).catch(() => []);
      histories.set(id, history);
    }
    return history;
  };
  const names = new Map<string, string>();

  const cycles: ExplainedCycle[] = [];
  const manualPages: PagingExplanation['manualPages'] = [];
  let current: ExplainedCycle | undefined;
  let lastStep: Extract<ExplainedStep, { kind: 'page' }> | undefined;
  for (const e of events) {
    const actor = e.metadata.actor ?? null;
    switch (e.type) {
      case 'IncidentOpened':
      case 'IncidentReopened': {
        current = {
          cycle: cycles.length,
          openedAt: e.occurredAt,
          policy: null,
          status: null,
          note: null,
          steps: [],
          stoppedBy: null,
          pending: null,
        };
        cycles.push(current);
        break;
      }
      case 'IncidentAcknowledged':
      case 'IncidentResolved':
        if (current && !current.stoppedBy) current.stoppedBy = { type: e.type, at: e.occurredAt, actor };
        break;
      case 'EscalationStepStarted': {
        const d = e.data as EscalationStepStarted['data'];
        const targets: ExplainedTarget[] = [];
        for (const t of d.targets) {
          const explained = flatten(t);
          if (t.userId && t.outcome === 'paged' && t.userName) names.set(t.userId, t.userName);
          if (t.target.kind === 'schedule') {
            const schedule = scheduleAsOf(await historyOf(t.target.id), new Date(d.firedAt));
            if (schedule.status === 'active') {
              const onCall = whoIsOnCall(schedule, new Date(d.firedAt));
              explained.onCall = {
                userId: onCall.userId,
                reason: onCall.reason,
                shift: onCall.shift,
                layers: onCall.layers,
                overrides: onCall.overrides,
                explanation: explainOnCall(onCall, schedule, (id) => names.get(id) ?? id),
              };
            } else {
              explained.onCall = null;
            }
          }
          targets.push(explained);
        }
        lastStep = {
          kind: 'page',
          step: d.step,
          level: d.level,
          repeat: d.repeat,
          policy: { id: d.policyId, version: d.policyVersion, name: d.policyName },
          trigger: d.trigger,
          actor,
          scheduledFor: d.scheduledFor,
          firedAt: d.firedAt,
          delayMs: d.delayMs,
          delayMinutes: d.delayMinutes,
          nextStepAt: d.nextStepAt,
          targets,
          paged: targets.filter((t) => t.outcome === 'paged'),
          notPaged: targets.filter((t) => t.outcome === 'not-paged'),
        };
        cycleOf(cycles, d.cycle)?.steps.push(lastStep);
        break;
      }
      case 'EscalationExhausted': {
        const d = e.data as EscalationExhausted['data'];
        cycleOf(cycles, d.cycle)?.steps.push({
          kind: 'exhaust',
          step: d.step,
          policy: { id: d.policyId, version: d.policyVersion },
          at: d.exhaustedAt,
          levels: d.levels,
          repeats: d.repeats,
        });
        break;
      }
      case 'ResponderPaged': {
        const d = e.data as ResponderPaged['data'];
        if (d.level === null) manualPages.push({ ...d, actor });
        break;
      }
      default:
        break;
    }
  }

  for (const c of cycles) {
    const row = cycleRows.find((r) => r.cycle === c.cycle);
    c.status = row?.status ?? null;
    if (row?.policy_id && row.policy_version !== null) {
      const policy = await deps.policies.atVersion(row.policy_id, row.policy_version);
      if (policy) c.policy = policy;
    } else if (row) {
      c.note = `No escalation policy was attached to service ${row.service} for ${row.severity} or any severity when this cycle began, so nobody was paged`;
    } else {
      c.note =
        'Escalation has not started for this cycle (it may be moments away, or the cycle began before escalation existed)';
    }
    const pending = pendingRows.find((p) => p.cycle === c.cycle);
    c.pending = pending
      ? { step: pending.step, level: pending.level, dueAt: pending.due_at.toISOString() }
      : null;
  }
  return { incidentId, service, severity, cycles, manualPages };
};

const cycleOf = (cycles: ExplainedCycle[], cycle: number) => cycles.find((c) => c.cycle === cycle);

const flatten = (t: EscalationTargetOutcome): ExplainedTarget =>
  t.outcome === 'paged'
    ? {
        target: t.target,
        outcome: 'paged',
        reason: null,
        userId: t.userId,
        userName: t.userName,
        slackUserId: t.slackUserId,
        channelId: t.channelId,
        explanation: t.explanation,
      }
    : {
        target: t.target,
        outcome: 'not-paged',
        reason: t.reason,
        userId: t.userId,
        userName: null,
        slackUserId: null,
        channelId: null,
        explanation: t.explanation,
      };
