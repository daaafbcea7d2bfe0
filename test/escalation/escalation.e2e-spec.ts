import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '#vigil/common';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  escalationOf,
  openIncident,
  setUpEscalation,
  streamOf,
  type EscalationSetup,
} from './escalation-fixtures.js';
import { eventually } from '../support/wait-for.js';

// Monday 2 March 2026, 10:00 UTC: day 0 of the rotation, so Alice is on call (Bob from 09:00 tomorrow).
const START = '2026-03-02T10:00:00.000Z';
const MINUTE = 60_000;

describe('escalation end to end', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date(START));
  let setup: EscalationSetup;
  const tick = () => t.runtime.escalation.engine.tick();
  const stream = (id: string) => streamOf(t.runtime.pool, id);

  before(async () => {
    t = await startTestApp({ clock });
    setup = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z' });
  });
  after(() => t.close());

  it('opens → level 1 paged at once from the schedule → level 2 after the delay → acknowledged → no more', async () => {
    clock.set(START);
    const id = await openIncident(t.call, setup.service);
    // Nobody calls tick: the opening committed in this process wakes the engine.
    const first = await eventually(async () => {
      const paged = (await stream(id)).filter((e) => e.type === 'ResponderPaged');
      return paged.length > 0 && paged;
    });
    assert.equal(first.length, 1);
    assert.equal(first[0]!.data.userId, setup.users.alice);
    assert.equal(first[0]!.data.slackUserId?.startsWith('UALICE'), true);
    assert.deepEqual(first[0]!.data.via, { kind: 'schedule', id: setup.scheduleId });
    assert.match(first[0]!.data.explanation, /is on call in schedule Primary .*: layer "Daily", turn 1/);
    const started = (await stream(id)).find((e) => e.type === 'EscalationStepStarted')!;
    assert.deepEqual([started.data.level, started.data.delayMs, started.data.trigger], [1, 0, 'timer']);
    assert.deepEqual(started.metadata.actor, { kind: 'system', id: 'escalation', name: 'Escalation' });

    clock.advance(4 * MINUTE);
    await tick();
    assert.equal(escalationOf(await stream(id)).length, 2, 'nothing before the delay is up');

    clock.advance(1 * MINUTE);
    await tick();
    assert.deepEqual(escalationOf(await stream(id)), [
      ['EscalationStepStarted', 1, 0],
      ['ResponderPaged', 1, setup.users.alice],
      ['EscalationStepStarted', 2, 1],
      ['ResponderPaged', 2, setup.users.carol],
      ['ResponderPaged', 2, 'C0ESCALATE'],
    ]);

    const ack = await t.call('POST', `/v1/incidents/${id}/acknowledge`, { body: {} });
    assert.equal(ack.status, 200);
    for (const minutes of [10, 60, 600]) {
      clock.advance(minutes * MINUTE);
      await tick();
      await t.runtime.escalation.engine.audit();
    }
    const events = await stream(id);
    assert.equal(escalationOf(events).length, 5, 'no step after the acknowledgement');
    assert.equal(events.at(-1)!.type, 'IncidentAcknowledged');
    const { rows } = await t.runtime.pool.query(
      `SELECT step, state, outcome FROM escalation_timers WHERE incident_id = $1 ORDER BY step`,
      [id],
    );
    assert.deepEqual(
      rows.map((r) => [r.step, r.state]),
      [
        [0, 'fired'],
        [1, 'fired'],
        [2, 'cancelled'],
      ],
    );

    const escalate = await t.call('POST', `/v1/incidents/${id}/escalate`, { body: {} });
    assert.equal(escalate.status, 409);
    assert.equal(escalate.body.code, 'EscalationStopped');
    assert.match(escalate.headers.get('content-type') ?? '', /application\/problem\+json/);

    const timeline = await t.call('GET', `/v1/incidents/${id}/timeline`);
    assert.equal(timeline.status, 200);
    const lines = timeline.body.items.map((i: { summary: string }) => i.summary);
    assert.ok(
      lines.some((l: string) => /^Escalated to level 2 of Checkout .* v1: 2 of 2 targets paged$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l: string) => /^Paged Alice .* at level 1: Alice .* is on call/.test(l)),
      lines.join('\n'),
    );
  });

  it('an Alertmanager alert opens an incident and level 1 is paged without waiting for a tick', async () => {
    clock.set(START);
    const integration = await t.call('POST', '/v1/integrations', {
      body: { name: 'alertmanager', service: setup.service, type: 'alertmanager' },
    });
    assert.equal(integration.status, 201, JSON.stringify(integration.body));
    const received = await t.call('POST', `/v1/integrations/${integration.body.key}/alertmanager`, {
      key: null,
      body: {
        receiver: 'vigil',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'CheckoutDown', severity: 'critical' },
            annotations: { summary: 'Checkout is down' },
            startsAt: '2026-03-02T09:59:00.000Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example.org:9090/graph',
            fingerprint: 'c0ffee0000000001',
          },
        ],
        groupLabels: { alertname: 'CheckoutDown' },
        commonLabels: { alertname: 'CheckoutDown' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example.org:9093',
        version: '4',
        groupKey: '{}:{alertname="CheckoutDown"}',
        truncatedAlerts: 0,
      },
    });
    assert.equal(received.status, 202, JSON.stringify(received.body));
    const { rows } = await t.runtime.pool.query<{ stream_id: string }>(
      `SELECT stream_id FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $1
       ORDER BY global_position DESC LIMIT 1`,
      [setup.service],
    );
    const id = rows[0]!.stream_id.slice('incident-'.length);
    const events = await eventually(async () => {
      const stream = await streamOf(t.runtime.pool, id);
      return stream.some((e) => e.type === 'ResponderPaged') && stream;
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ['IncidentOpened', 'AlertAttached', 'EscalationStepStarted', 'ResponderPaged'],
    );
    assert.equal(events[3]!.data.userId, setup.users.alice);
    assert.equal(events[0]!.metadata.source, 'alert');
  });

  it('reopen restarts at level 1; escalate moves to the next level at once; then exhaustion', async () => {
    clock.set(START);
    const id = await openIncident(t.call, setup.service);
    await eventually(async () => (await stream(id)).some((e) => e.type === 'ResponderPaged'));
    assert.equal((await t.call('POST', `/v1/incidents/${id}/resolve`, { body: {} })).status, 200);
    clock.advance(30 * MINUTE);
    await tick();
    assert.equal(
      (await t.call('POST', `/v1/incidents/${id}/reopen`, { body: { reason: 'back' } })).status,
      200,
    );
    const reopened = await eventually(async () => {
      const steps = (await stream(id)).filter((e) => e.type === 'EscalationStepStarted');
      return steps.length === 2 && steps;
    });
    assert.deepEqual([reopened[1]!.data.cycle, reopened[1]!.data.step, reopened[1]!.data.level], [1, 0, 1]);

    const escalated = await t.call('POST', `/v1/incidents/${id}/escalate`, { body: {} });
    assert.equal(escalated.status, 200, JSON.stringify(escalated.body));
    assert.deepEqual([escalated.body.cycle, escalated.body.step, escalated.body.level], [1, 1, 2]);
    const manual = (await stream(id)).filter((e) => e.type === 'EscalationStepStarted').at(-1)!;
    assert.equal(manual.data.trigger, 'manual');
    assert.equal(manual.metadata.actor.kind, 'api-key');
    assert.equal(manual.metadata.source, 'api');

    // Level 2's delay runs from the manual step: 10 minutes, then the exhaustion.
    clock.advance(9 * MINUTE);
    await tick();
    assert.equal(
      (await stream(id)).some((e) => e.type === 'EscalationExhausted'),
      false,
    );
    clock.advance(1 * MINUTE);
    await tick();
    const exhausted = (await stream(id)).filter((e) => e.type === 'EscalationExhausted');
    assert.equal(exhausted.length, 1);
    assert.deepEqual(
      [exhausted[0]!.data.cycle, exhausted[0]!.data.levels, exhausted[0]!.data.repeats],
      [1, 2, 0],
    );
    const again = await t.call('POST', `/v1/incidents/${id}/escalate`, { body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'EscalationExhausted');
  });

  it('repeats the levels, records lateness, then exhausts exactly once', async () => {
    clock.set(START);
    const repeating = await setUpEscalation(t.call, {
      layerStart: '2026-03-02T09:00:00Z',
      delays: [1, 2],
      repeats: 2,
    });
    const id = await openIncident(t.call, repeating.service);
    await eventually(async () => (await stream(id)).some((e) => e.type === 'ResponderPaged'));
    // Jump far past every delay: each tick fires one step (the next is due a full delay after it fired).
    for (let i = 0; i < 8; i++) {
      clock.advance(30 * MINUTE);
      await tick();
    }
    const steps = (await stream(id)).filter((e) => e.type === 'EscalationStepStarted');
    assert.deepEqual(
      steps.map((e) => [e.data.level, e.data.repeat]),
      [
        [1, 0],
        [2, 0],
        [1, 1],
        [2, 1],
        [1, 2],
        [2, 2],
      ],
    );
    assert.ok(
      steps.slice(1).every((s) => s.data.delayMs > 0),
      'steps fired late say how late',
    );
    assert.equal(steps[1]!.data.delayMs, 29 * MINUTE);
    const exhausted = (await stream(id)).filter((e) => e.type === 'EscalationExhausted');
    assert.equal(exhausted.length, 1);
  });

  it('explains every page: the policy version, who was on call and why, who was not', async () => {
    clock.set(START);
    const id = await openIncident(t.call, setup.service);
    await eventually(async () => (await stream(id)).some((e) => e.type === 'ResponderPaged'));
    // A policy change after the escalation started makes a version 2 the running cycle ignores.
    const changed = await t.call('PUT', `/v1/escalation-policies/${setup.policyId}`, {
      body: {
        name: 'Checkout v2',
        levels: [{ targets: [{ kind: 'user', id: setup.users.bob }], delayMinutes: 1 }],
      },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.version, 2);
    clock.advance(5 * MINUTE);
    await tick();

    const res = await t.call('GET', `/v1/incidents/${id}/paging-explanation`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [cycle] = res.body.cycles;
    assert.equal(cycle.policy.id, setup.policyId);
    assert.equal(cycle.policy.version, 1, 'the version the escalation started with');
    assert.equal(cycle.policy.levels.length, 2);
    const [one, two] = cycle.steps;
    assert.deepEqual([one.level, one.policy.version, one.trigger], [1, 1, 'timer']);
    const scheduleTarget = one.targets[0];
    assert.equal(scheduleTarget.outcome, 'paged');
    assert.equal(scheduleTarget.userId, setup.users.alice);
    assert.equal(scheduleTarget.onCall.reason.kind, 'layer');
    assert.equal(scheduleTarget.onCall.reason.layerName, 'Daily');
    assert.deepEqual(
      two.paged.map((p: { userId: string | null; channelId: string | null }) => p.userId ?? p.channelId),
      [setup.users.carol, 'C0ESCALATE'],
    );
    assert.match(two.paged[0].explanation, /no Slack user id/);
    assert.deepEqual(cycle.pending && [cycle.pending.step, cycle.pending.level], [2, null]);
    assert.equal(cycle.stoppedBy, null);

    // A schedule with nobody on call (restricted hours) pages nobody, and says why.
    const night = await t.call('POST', '/v1/schedules', {
      body: {
        name: 'Office hours',
        timeZone: 'UTC',
        layers: [
          {
            name: 'Weekdays',
            start: '2026-03-02T09:00:00Z',
            rotation: { kind: 'weekly' },
            handoffTime: '09:00',
            users: [setup.users.bob],
            restrictions: [{ kind: 'daily', start: '09:00', end: '10:00' }],
          },
        ],
      },
    });
    assert.equal(night.status, 201, JSON.stringify(night.body));
    const policy = await t.call('POST', '/v1/escalation-policies', {
      body: {
        name: 'Office',
        levels: [{ targets: [{ kind: 'schedule', id: night.body.id }], delayMinutes: 5 }],
      },
    });
    const service = `${setup.service}-office`;
    await t.call('POST', `/v1/escalation-policies/${policy.body.id}/attachments`, {
      body: { service, severity: 'SEV1' },
    });
    const quiet = await openIncident(t.call, service, 'SEV1');
    await eventually(async () => (await stream(quiet)).some((e) => e.type === 'EscalationStepStarted'));
    const explained = (await t.call('GET', `/v1/incidents/${quiet}/paging-explanation`)).body;
    const target = explained.cycles[0].steps[0].notPaged[0];
    assert.equal(target.reason, 'nobody-on-call');
    assert.match(target.explanation, /outside the layer's restricted hours/);
    assert.equal(target.onCall.layers[0].status, 'restricted');
    assert.equal((await stream(quiet)).filter((e) => e.type === 'ResponderPaged').length, 0);

    // A service without a policy: the explanation says so.
    const bare = await openIncident(t.call, `${setup.service}-bare`);
    const none = await eventually(async () => {
      const body = (await t.call('GET', `/v1/incidents/${bare}/paging-explanation`)).body;
      return body.cycles[0].status === 'no-policy' && body;
    });
    assert.match(none.cycles[0].note, /No escalation policy was attached/);
    assert.equal(
      (await t.call('GET', `/v1/incidents/00000000-0000-4000-8000-000000000000/paging-explanation`)).status,
      404,
    );
  });

  it('an acknowledgement racing due steps: never a step after the acknowledgement', async () => {
    clock.set(START);
    const racing = await setUpEscalation(t.call, {
      layerStart: '2026-03-02T09:00:00Z',
      delays: [1, 1],
      repeats: 3,
    });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await openIncident(t.call, racing.service));
    await tick();
    clock.advance(MINUTE);
    // Steps fall due for every incident while every incident is acknowledged.
    await Promise.all([
      tick(),
      ...ids.map((id) => t.call('POST', `/v1/incidents/${id}/acknowledge`, { body: {} })),
      t.runtime.escalation.engine.fireDue(clock.now(), 'timer', { kind: 'system', id: 'escalation' }),
    ]);
    clock.advance(10 * MINUTE);
    await tick();
    for (const id of ids) {
      const events = await stream(id);
      const ackAt = events.findIndex((e) => e.type === 'IncidentAcknowledged');
      assert.ok(ackAt > 0, 'acknowledged');
      assert.deepEqual(
        events
          .slice(ackAt)
          .filter((e) => e.type !== 'IncidentAcknowledged')
          .map((e) => e.type),
        [],
        `nothing escalated after the acknowledgement of ${id}`,
      );
      const steps = events.filter((e) => e.type === 'EscalationStepStarted').map((e) => e.data.step);
      assert.deepEqual(steps, [...steps.keys()], 'steps in order, none twice');
    }
  });

  it('steps falling due together fire in batches: each once, in order, in far fewer transactions than steps', async () => {
    clock.set(START);
    const storm = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z', delays: [1, 1] });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await openIncident(t.call, storm.service));
    await tick();
    clock.advance(MINUTE);
    await tick();
    const levelTwo = [];
    for (const id of ids) {
      assert.deepEqual(
        escalationOf(await stream(id)).filter(([type]) => type === 'EscalationStepStarted'),
        [
          ['EscalationStepStarted', 1, 0],
          ['EscalationStepStarted', 2, 1],
        ],
        `both levels of ${id}, once each, in order`,
      );
      levelTwo.push(`incident-${id}`);
    }
    // One transaction a step would record the 30 steps under 30 transaction ids.
    const { rows } = await t.runtime.pool.query<{ n: number }>(
      `SELECT count(DISTINCT transaction_id)::int AS n FROM events
       WHERE stream_id = ANY($1) AND type = 'EscalationStepStarted' AND (data->>'step')::int = 1`,
      [levelTwo],
    );
    assert.ok(rows[0]!.n <= 10, `level 2 of 30 incidents fired in ${rows[0]!.n} transactions`);

    // Their exhaustion falls due together too, and leaves no step pending for the tests after.
    clock.advance(MINUTE);
    await tick();
    for (const id of ids) {
      assert.deepEqual(
        escalationOf(await stream(id)).filter(([type]) => type === 'EscalationExhausted'),
        [['EscalationExhausted', null, 2]],
      );
    }
  });

  it('the auditor fires what the tick did not, and re-arms a broken chain; a metric counts it', async () => {
    clock.set(START);
    const audited = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z' });
    const { worker, engine } = t.runtime.escalation;
    await worker.stop(); // the tick "dies"
    try {
      const id = await openIncident(t.call, audited.service);
      // The starter sees the opening once every older transaction has ended.
      await eventually(async () => {
        await engine.catchUpStarter();
        const { rowCount } = await t.runtime.pool.query(
          `SELECT 1 FROM escalation_timers WHERE incident_id = $1`,
          [id],
        );
        return rowCount === 1;
      });
      assert.equal(
        (await stream(id)).some((e) => e.type === 'EscalationStepStarted'),
        false,
      );
      clock.advance(5_000);
      assert.deepEqual(
        await engine.audit(),
        { 'starter-lag': 0, 'overdue-timer': 0, 'missing-timer': 0 },
        'within the grace',
      );
      clock.advance(10 * MINUTE);
      const report = await engine.audit();
      assert.equal(report['overdue-timer'], 1);
      const first = (await stream(id)).find((e) => e.type === 'EscalationStepStarted')!;
      assert.equal(first.data.trigger, 'auditor');
      assert.equal(first.data.delayMs, 10 * MINUTE + 5_000);

      // The chain breaks: the pending step vanishes. The auditor finds the escalating cycle without one.
      await t.runtime.pool.query(
        `DELETE FROM escalation_timers WHERE incident_id = $1 AND state = 'pending'`,
        [id],
      );
      clock.advance(MINUTE);
      assert.equal((await engine.audit())['missing-timer'], 1);
      assert.deepEqual(
        (await stream(id))
          .filter((e) => e.type === 'EscalationStepStarted')
          .map((e) => [e.data.step, e.data.trigger]),
        [
          [0, 'auditor'],
          [1, 'auditor'],
        ],
      );
      const metrics = await t.runtime.metrics.registry.getSingleMetricAsString(
        'vigil_escalation_audit_repairs_total',
      );
      assert.match(metrics, /kind="overdue-timer"} [1-9]/);
      assert.match(metrics, /kind="missing-timer"} [1-9]/);
    } finally {
      worker.start();
    }
  });
});

describe('openings taken in by a tick', () => {
  let t: TestApp;
  before(async () => {
    // No worker role: no round runs by itself, only what the tick does.
    t = await startTestApp({ roles: 'api' });
  });
  after(() => t.close());

  it('go in with the read models, never alone: every subscription stands at one checkpoint after it', async () => {
    const setup = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z' });
    const id = await openIncident(t.call, setup.service);
    await t.runtime.escalation.engine.tick();
    const { subscriptions } = t.runtime;
    const names = ['incidents@1', 'incident-timeline@1', 'alert-fatigue@2', 'escalation-starter@1'];
    const checkpoints = await Promise.all(names.map((name) => subscriptions.checkpoint(name)));
    assert.notEqual(checkpoints[0]!.globalPosition, '0', 'the read models took the opening in');
    for (const [i, checkpoint] of checkpoints.entries()) {
      assert.deepEqual(checkpoint, checkpoints[0], `${names[i]} stands with the others`);
    }
    const listed = await t.call('GET', `/v1/incidents/${id}`);
    assert.equal(listed.status, 200);
  });
});
