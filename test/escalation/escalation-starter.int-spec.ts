import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { ManualClock } from '#vigil/common';
import { createEscalation, type EscalationRuntime } from '#vigil/escalation';
import {
  CommandRunner,
  PostgresEventStore,
  UpcasterChain,
  withTransaction,
  type RecordedEvent,
} from '#vigil/event-store';
import {
  incidentDecider,
  incidentStreamId,
  incidentUpcasters,
  type CommandMetadata,
  type IncidentCommand,
} from '#vigil/incidents';
import { testPool } from '../support/database.js';

const NOW = '2026-03-02T10:00:00.000Z';
const metadata: CommandMetadata = { now: NOW, actor: { kind: 'user', id: 'tester' }, source: 'api' };

describe('the escalation starter (a checkpointed subscription)', () => {
  let pool: pg.Pool;
  let store: PostgresEventStore;
  let runner: CommandRunner;
  let escalation: EscalationRuntime;
  const actor = { kind: 'user' as const, id: 'tester' };

  before(() => {
    pool = testPool(4);
    store = new PostgresEventStore(pool, { upcasters: new UpcasterChain(incidentUpcasters) });
    runner = new CommandRunner(store);
    escalation = createEscalation({
      pool,
      store,
      commands: runner,
      clock: new ManualClock(new Date(NOW)),
      publish: () => undefined,
    });
  });
  after(() => pool.end());

  const send = (incidentId: string, command: Omit<IncidentCommand, 'metadata'>) =>
    runner.handle(incidentDecider, { ...command, metadata } as IncidentCommand, {
      streamId: incidentStreamId(incidentId),
      metadata: { actor, source: 'api' },
      occurredAt: NOW,
    });

  const rowsOf = async (ids: string[]) => ({
    cycles: (
      await pool.query(
        `SELECT incident_id, cycle, status, policy_version FROM escalation_cycles
         WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id, cycle`,
        [ids],
      )
    ).rows,
    timers: (
      await pool.query(
        `SELECT incident_id, cycle, step, state, outcome, due_at FROM escalation_timers
         WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id, cycle, step`,
        [ids],
      )
    ).rows,
  });

  it('takes in openings, acknowledgements and reopenings; applying the same events again changes nothing', async () => {
    const user = await escalation.users.create({ name: 'Ivy' });
    const policy = await escalation.policies.create(
      { name: 'P', levels: [{ targets: [{ kind: 'user', id: user.id }], delayMinutes: 5 }] },
      actor,
      NOW,
    );
    const service = `starter-${randomUUID().slice(0, 8)}`;
    await escalation.policies.attach(policy.id, { service, severity: null }, actor, NOW);

    const a = randomUUID();
    const b = randomUUID();
    const open = (incidentId: string, svc: string) =>
      send(incidentId, {
        type: 'OpenIncident',
        data: { incidentId, title: 't', service: svc, severity: 'SEV2' },
      });
    await open(a, service);
    await send(a, { type: 'AcknowledgeIncident', data: { incidentId: a } });
    await send(a, { type: 'ResolveIncident', data: { incidentId: a } });
    await send(a, { type: 'ReopenIncident', data: { incidentId: a } });
    await open(b, `${service}-none`);
    const events = [
      ...(await store.readStream(incidentStreamId(a))),
      ...(await store.readStream(incidentStreamId(b))),
    ];

    const { starter } = escalation.engine;
    await withTransaction(pool, (tx) => starter.apply(tx, events));
    const first = await rowsOf([a, b]);
    const [cycleA0, cycleA1, cycleB0] = [...first.cycles].sort(
      (x, y) => Number(x.incident_id !== a) - Number(y.incident_id !== a) || x.cycle - y.cycle,
    );
    assert.deepEqual(
      [cycleA0, cycleA1, cycleB0].map((c) => [c.incident_id, c.cycle, c.status, c.policy_version]),
      [
        [a, 0, 'stopped', 1],
        [a, 1, 'escalating', 1],
        [b, 0, 'no-policy', null],
      ],
    );
    assert.deepEqual(
      first.timers.map((t) => [t.incident_id, t.cycle, t.step, t.state, t.outcome]),
      [
        [a, 0, 0, 'cancelled', 'acknowledged'],
        [a, 1, 0, 'pending', null],
      ],
    );
    assert.equal(first.timers[1].due_at.toISOString(), NOW, 'level 1 is due at the (re)opening');

    await withTransaction(pool, (tx) => starter.apply(tx, events));
    await withTransaction(pool, (tx) => starter.apply(tx, events.slice(0, 1)));
    assert.deepEqual(await rowsOf([a, b]), first);
  });
  it("routes a batch of openings in one go: the severity's own route over the service's, each policy at its version then", async () => {
    const user = await escalation.users.create({ name: 'Kai' });
    const levels = [{ targets: [{ kind: 'user' as const, id: user.id }], delayMinutes: 5 }];
    const general = await escalation.policies.create({ name: 'general', levels }, actor, NOW);
    const major = await escalation.policies.create({ name: 'major', levels }, actor, NOW);
    await escalation.policies.change(major.id, { name: 'major, v2', levels }, actor, NOW);
    const service = `routes-${randomUUID().slice(0, 8)}`;
    await escalation.policies.attach(general.id, { service, severity: null }, actor, NOW);
    await escalation.policies.attach(major.id, { service, severity: 'SEV1' }, actor, NOW);

    const openings = [
      [randomUUID(), service, 'SEV1'],
      [randomUUID(), service, 'SEV3'],
      [randomUUID(), `${service}-none`, 'SEV1'],
    ] as const;
    const events: RecordedEvent[] = [];
    for (const [incidentId, svc, severity] of openings) {
      await send(incidentId, {
        type: 'OpenIncident',
        data: { incidentId, title: 't', service: svc, severity },
      });
      events.push(...(await store.readStream(incidentStreamId(incidentId))));
    }
    await withTransaction(pool, (tx) => escalation.engine.starter.apply(tx, events));
    const { rows } = await pool.query(
      `SELECT incident_id, status, policy_id, policy_version FROM escalation_cycles WHERE incident_id = ANY($1::uuid[])`,
      [openings.map(([id]) => id)],
    );
    const byIncident = new Map(rows.map((r) => [r.incident_id, [r.status, r.policy_id, r.policy_version]]));
    assert.deepEqual(
      openings.map(([id]) => byIncident.get(id)),
      [
        ['escalating', major.id, 2],
        ['escalating', general.id, 1],
        ['no-policy', null, null],
      ],
    );
    const timers = await rowsOf(openings.map(([id]) => id));
    assert.equal(timers.timers.length, 2, 'a first step for each routed opening, none for the other');
  });
  it('once a batch that armed a first step commits, it tells the engine (the worker fires it at once); one that armed none does not', async () => {
    const fresh = createEscalation({
      pool,
      store,
      commands: runner,
      clock: new ManualClock(new Date(NOW)),
      publish: () => undefined,
    });
    let told = 0;
    fresh.engine.whenArmed = () => told++;
    const { starter } = fresh.engine;
    const user = await fresh.users.create({ name: 'Jo' });
    const policy = await fresh.policies.create(
      { name: 'Q', levels: [{ targets: [{ kind: 'user', id: user.id }], delayMinutes: 5 }] },
      actor,
      NOW,
    );
    const service = `armed-${randomUUID().slice(0, 8)}`;
    await fresh.policies.attach(policy.id, { service, severity: null }, actor, NOW);
    const openedOn = async (svc: string) => {
      const incidentId = randomUUID();
      await send(incidentId, {
        type: 'OpenIncident',
        data: { incidentId, title: 't', service: svc, severity: 'SEV2' },
      });
      return store.readStream(incidentStreamId(incidentId));
    };

    const unrouted = await openedOn(`${service}-none`);
    await withTransaction(pool, (tx) => starter.apply(tx, unrouted));
    starter.afterCommit();
    assert.equal(told, 0, 'no policy applies: nothing armed');

    const routed = await openedOn(service);
    await withTransaction(pool, (tx) => starter.apply(tx, routed));
    assert.equal(told, 0, 'not before the commit is known');
    starter.afterCommit();
    assert.equal(told, 1);
    starter.afterCommit();
    assert.equal(told, 1, 'told once per arming');
  });
});
