// Shared set-up for the escalation tests: users, a schedule, a policy attached to a fresh service.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { TestApp } from '../support/app.js';

export interface EscalationSetup {
  service: string;
  users: { alice: string; bob: string; carol: string };
  scheduleId: string;
  policyId: string;
}

type Call = TestApp['call'];

export const created = async (call: Call, path: string, body: unknown) => {
  const res = await call('POST', path, { body });
  assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
  return res.body;
};

/**
 * Alice (U…ALICE) and Bob take daily turns in a UTC schedule from `layerStart` (alice first, handoff
 * 09:00); level 1 pages the schedule, level 2 pages Carol (no Slack id) and channel C0ESCALATE.
 */
export const setUpEscalation = async (
  call: Call,
  options: { layerStart: string; delays?: [number, number]; repeats?: number },
): Promise<EscalationSetup> => {
  const tag = randomUUID().slice(0, 8).toUpperCase();
  const alice = (await created(call, '/v1/users', { name: `Alice ${tag}`, slackUserId: `UALICE${tag}` })).id;
  const bob = (await created(call, '/v1/users', { name: `Bob ${tag}`, slackUserId: `UBOB${tag}` })).id;
  const carol = (await created(call, '/v1/users', { name: `Carol ${tag}` })).id;
  const schedule = await created(call, '/v1/schedules', {
    name: `Primary ${tag}`,
    timeZone: 'UTC',
    layers: [
      {
        name: 'Daily',
        start: options.layerStart,
        rotation: { kind: 'daily' },
        handoffTime: '09:00',
        users: [alice, bob],
      },
    ],
  });
  const [first, second] = options.delays ?? [5, 10];
  const policy = await created(call, '/v1/escalation-policies', {
    name: `Checkout ${tag}`,
    levels: [
      { targets: [{ kind: 'schedule', id: schedule.id }], delayMinutes: first },
      {
        targets: [
          { kind: 'user', id: carol },
          { kind: 'channel', id: 'C0ESCALATE' },
        ],
        delayMinutes: second,
      },
    ],
    repeats: options.repeats ?? 0,
  });
  const service = `esc-${tag.toLowerCase()}`;
  const attached = await call('POST', `/v1/escalation-policies/${policy.id}/attachments`, {
    body: { service },
  });
  assert.equal(attached.status, 200, JSON.stringify(attached.body));
  return { service, users: { alice, bob, carol }, scheduleId: schedule.id, policyId: policy.id };
};

export const openIncident = async (call: Call, service: string, severity = 'SEV2'): Promise<string> =>
  (await created(call, '/v1/incidents', { title: 'Checkout returns 502', severity, service })).id;

export interface StoredEvent {
  type: string;
  version: number;
  data: any;
  metadata: any;
  occurredAt: string;
}

/** The incident's stream, in order. */
export const streamOf = async (pool: pg.Pool, incidentId: string): Promise<StoredEvent[]> =>
  (
    await pool.query<{ type: string; stream_version: number; data: any; metadata: any; occurred_at: Date }>(
      `SELECT type, stream_version, data, metadata, occurred_at FROM events
       WHERE stream_id = $1 ORDER BY stream_version`,
      [`incident-${incidentId}`],
    )
  ).rows.map((r) => ({
    type: r.type,
    version: r.stream_version,
    data: r.data,
    metadata: r.metadata,
    occurredAt: r.occurred_at.toISOString(),
  }));

export const ESCALATION_TYPES = new Set(['EscalationStepStarted', 'ResponderPaged', 'EscalationExhausted']);

/** The escalation events of the stream, as [type, level or null, who]. */
export const escalationOf = (events: StoredEvent[]) =>
  events
    .filter((e) => ESCALATION_TYPES.has(e.type))
    .map((e) =>
      e.type === 'ResponderPaged'
        ? [e.type, e.data.level, e.data.userId ?? e.data.channelId]
        : e.type === 'EscalationStepStarted'
          ? [e.type, e.data.level, e.data.step]
          : [e.type, null, e.data.step],
    );
