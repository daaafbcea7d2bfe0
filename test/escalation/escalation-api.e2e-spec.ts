import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '#vigil/common';
import { startTestApp, type TestApp } from '../support/app.js';
import { created, openIncident, setUpEscalation, streamOf } from './escalation-fixtures.js';
import { eventually } from '../support/wait-for.js';

const START = '2026-03-02T10:00:00.000Z';

describe('users, schedules and escalation policies over REST', () => {
  let t: TestApp;
  let reader: string;
  const clock = new ManualClock(new Date(START));
  const slackId = () => `U${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;

  before(async () => {
    t = await startTestApp({ clock });
    reader = await t.keyWith('incidents:read');
  });
  after(() => t.close());

  it('users: created with a Slack id, found by it, changed, refused when wrong', async () => {
    const slack = slackId();
    const res = await t.call('POST', '/v1/users', {
      body: { name: 'Dana', email: 'dana@example.com', slackUserId: slack, timeZone: 'Europe/Paris' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.headers.get('location'), `/v1/users/${res.body.id}`);
    const id = res.body.id;
    assert.equal((await t.runtime.escalation.users.bySlackId(slack))?.id, id);
    assert.equal(await t.runtime.escalation.users.bySlackId('UNOBODY'), null);

    const taken = await t.call('POST', '/v1/users', { body: { name: 'Eve', slackUserId: slack } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'SlackUserTaken');
    assert.match(taken.headers.get('content-type') ?? '', /application\/problem\+json/);
    const bad = await t.call('POST', '/v1/users', {
      body: { name: 'Eve', slackUserId: 'not-slack', timeZone: 'Mars/Olympus' },
    });
    assert.equal(bad.status, 422);
    assert.match(bad.body.detail, /slackUserId.*timeZone/);
    assert.equal((await t.call('POST', '/v1/users', { body: { name: 'Eve', admin: true } })).status, 400);
    assert.equal((await t.call('POST', '/v1/users', { key: reader, body: { name: 'Eve' } })).status, 403);

    const patched = await t.call('PATCH', `/v1/users/${id}`, { body: { email: null, name: 'Dana S.' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(
      [patched.body.name, patched.body.email, patched.body.slackUserId],
      ['Dana S.', null, slack],
    );
    assert.equal((await t.call('GET', `/v1/users/${id}`, { key: reader })).body.name, 'Dana S.');
    assert.equal((await t.call('GET', `/v1/users/${randomUUID()}`)).status, 404);
    assert.equal((await t.call('PATCH', `/v1/users/${randomUUID()}`, { body: { name: 'x' } })).status, 404);
    const list = await t.call('GET', '/v1/users', { key: reader });
    assert.ok(list.body.items.some((u: { id: string }) => u.id === id));
  });

  it('schedules: layers and overrides as events; who is on call now and at a past instant, and why', async () => {
    clock.set(START);
    const alice = (await created(t.call, '/v1/users', { name: 'Alice', slackUserId: slackId() })).id;
    const bob = (await created(t.call, '/v1/users', { name: 'Bob' })).id;
    const unknown = await t.call('POST', '/v1/schedules', {
      body: {
        name: 'S',
        timeZone: 'UTC',
        layers: [{ start: START, rotation: { kind: 'daily' }, handoffTime: '09:00', users: [randomUUID()] }],
      },
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.code, 'UnknownUsers');
    const badZone = await t.call('POST', '/v1/schedules', { body: { name: 'S', timeZone: 'Nowhere/Land' } });
    assert.equal(badZone.status, 422);
    assert.equal(badZone.body.code, 'UnknownTimeZone');

    const schedule = await created(t.call, '/v1/schedules', {
      name: 'Payments',
      timeZone: 'Europe/London',
      layers: [
        {
          id: 'weekly',
          name: 'Weekly',
          start: '2026-03-02T09:00:00Z',
          rotation: { kind: 'weekly' },
          handoffTime: '09:00',
          users: [alice, bob],
        },
      ],
    });
    assert.equal(schedule.version, 2, 'created and its layer: one append of two events');
    const badLayer = await t.call('POST', `/v1/schedules/${schedule.id}/layers`, {
      body: { start: START, rotation: { kind: 'hourly' }, handoffTime: '25:00', users: [alice] },
    });
    assert.equal(badLayer.status, 422);
    assert.equal(badLayer.body.code, 'InvalidRotation');

    const now = await t.call('GET', `/v1/schedules/${schedule.id}/oncall`, { key: reader });
    assert.equal(now.status, 200, JSON.stringify(now.body));
    assert.equal(now.body.userId, alice);
    assert.equal(now.body.reason.kind, 'layer');
    assert.match(now.body.explanation, /Alice is on call in schedule Payments: layer "Weekly", turn 1/);
    assert.equal(now.body.user.slackUserId?.startsWith('U'), true);

    clock.set('2026-03-02T12:00:00.000Z');
    const override = await t.call('POST', `/v1/schedules/${schedule.id}/overrides`, {
      body: { userId: bob, start: '2026-03-02T12:00:00Z', end: '2026-03-02T18:00:00Z' },
    });
    assert.equal(override.status, 201, JSON.stringify(override.body));
    const during = await t.call('GET', `/v1/schedules/${schedule.id}/oncall?at=2026-03-02T13:00:00Z`);
    assert.deepEqual([during.body.userId, during.body.reason.kind], [bob, 'override']);
    // Before the override was added, the schedule said Alice: the past is answered as it then stood.
    const past = await t.call('GET', `/v1/schedules/${schedule.id}/oncall?at=2026-03-02T11:00:00Z`);
    assert.equal(past.body.userId, alice);
    const nextWeek = await t.call('GET', `/v1/schedules/${schedule.id}/oncall?at=2026-03-09T10:00:00Z`);
    assert.equal(nextWeek.body.userId, bob);
    assert.equal(nextWeek.body.reason.turn.index, 1);

    const shifts = await t.call(
      'GET',
      `/v1/schedules/${schedule.id}/shifts?from=2026-03-02T09:00:00Z&to=2026-03-16T09:00:00Z`,
    );
    assert.equal(shifts.status, 200);
    assert.deepEqual(
      shifts.body.items.map((s: { userId: string; source: { kind: string } }) => [s.userId, s.source.kind]),
      [
        [alice, 'layer'],
        [bob, 'override'],
        [alice, 'layer'],
        [bob, 'layer'],
      ],
    );
    const tooLong = await t.call(
      'GET',
      `/v1/schedules/${schedule.id}/shifts?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z`,
    );
    assert.equal(tooLong.status, 422);
    assert.equal(tooLong.body.code, 'InvalidRange');
    assert.equal(
      (
        await t.call(
          'GET',
          `/v1/schedules/${schedule.id}/shifts?from=2026-03-02T09:00:00Z&to=2026-03-01T09:00:00Z`,
        )
      ).status,
      422,
    );
    assert.equal((await t.call('GET', `/v1/schedules/${schedule.id}/oncall?at=yesterday`)).status, 400);
    assert.equal((await t.call('GET', `/v1/schedules/${randomUUID()}`)).status, 404);

    const removed = await t.call(
      'DELETE',
      `/v1/schedules/${schedule.id}/overrides/${override.body.overrides[0].id}`,
    );
    assert.equal(removed.status, 200);
    assert.equal(removed.body.overrides.length, 0);
    const changed = await t.call('PUT', `/v1/schedules/${schedule.id}/layers/weekly`, {
      body: {
        name: 'Weekly',
        start: '2026-03-02T09:00:00Z',
        rotation: { kind: 'weekly' },
        handoffTime: '09:00',
        users: [bob, alice],
      },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await t.call('GET', `/v1/schedules/${schedule.id}/oncall`)).body.userId, bob);
    assert.equal((await t.call('DELETE', `/v1/schedules/${schedule.id}/layers/nope`)).status, 404);
    assert.equal(
      (await t.call('POST', `/v1/schedules/${schedule.id}/layers`, { key: reader, body: {} })).status,
      403,
    );
  });

  it('schedules: a layer sent with a new schedule is checked as one added alone; a long override stays cheap', async () => {
    const created = async () =>
      Number(
        (await t.runtime.pool.query(`SELECT count(*) AS n FROM events WHERE type = 'ScheduleCreated'`))
          .rows[0].n,
      );
    const before = await created();
    const layer = {
      start: '2026-01-05T09:00:00Z',
      rotation: { kind: 'daily' },
      handoffTime: '09:00',
      users: [randomUUID()],
    };
    for (const restrictions of [0, true, {}, '']) {
      const res = await t.call('POST', '/v1/schedules', {
        body: { name: 'S', timeZone: 'UTC', layers: [{ ...layer, restrictions }] },
      });
      assert.equal(
        res.status,
        400,
        `restrictions ${JSON.stringify(restrictions)}: ${JSON.stringify(res.body)}`,
      );
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.match(JSON.stringify(res.body), /restrictions/);
    }
    assert.equal(await created(), before, 'nothing stored');

    // Twelve daily layers and an override to the year 9999: who is on call is the override's user.
    const user = (await t.call('POST', '/v1/users', { body: { name: 'Long Cover' } })).body.id as string;
    const schedule = await t.call('POST', '/v1/schedules', {
      body: {
        name: 'Long',
        timeZone: 'UTC',
        layers: Array.from({ length: 12 }, () => ({ ...layer, users: [user] })),
      },
    });
    assert.equal(schedule.status, 201, JSON.stringify(schedule.body));
    const cover = (await t.call('POST', '/v1/users', { body: { name: 'Cover' } })).body.id as string;
    const override = await t.call('POST', `/v1/schedules/${schedule.body.id}/overrides`, {
      body: { userId: cover, start: '1970-01-01T00:00:00Z', end: '9999-12-31T00:00:00Z' },
    });
    assert.equal(override.status, 201, JSON.stringify(override.body));
    const onCall = await t.call('GET', `/v1/schedules/${schedule.body.id}/oncall`);
    assert.equal(onCall.status, 200);
    assert.equal(onCall.body.userId, cover);
  });

  it('policies: versions, attachments per service and severity (most specific wins), on call for a service', async () => {
    clock.set(START);
    const setup = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z' });
    const badTargets = await t.call('POST', '/v1/escalation-policies', {
      body: { name: 'Bad', levels: [{ targets: [{ kind: 'user', id: randomUUID() }], delayMinutes: 5 }] },
    });
    assert.equal(badTargets.status, 422);
    assert.equal(badTargets.body.code, 'UnknownUsers');
    const badSchedule = await t.call('POST', '/v1/escalation-policies', {
      body: { name: 'Bad', levels: [{ targets: [{ kind: 'schedule', id: randomUUID() }], delayMinutes: 5 }] },
    });
    assert.equal(badSchedule.body.code, 'UnknownSchedules');
    const badShape = await t.call('POST', '/v1/escalation-policies', {
      body: { name: 'Bad', levels: [{ targets: [{ kind: 'pager', id: 'x' }], delayMinutes: 0 }] },
    });
    assert.equal(badShape.status, 422);
    assert.equal(badShape.body.code, 'InvalidPolicy');
    assert.match(badShape.body.detail, /levels\[0\]\.delayMinutes.*levels\[0\]\.targets\[0\]\.kind/);

    const v1 = await t.call('GET', `/v1/escalation-policies/${setup.policyId}`, { key: reader });
    assert.equal(v1.status, 200);
    assert.deepEqual(v1.body.attachments, [{ service: setup.service, severity: null }]);
    const sev1 = await created(t.call, '/v1/escalation-policies', {
      name: 'SEV1 bridge',
      levels: [{ targets: [{ kind: 'user', id: setup.users.bob }], delayMinutes: 2 }],
    });
    const attach = await t.call('POST', `/v1/escalation-policies/${sev1.id}/attachments`, {
      body: { service: setup.service, severity: 'SEV1' },
    });
    assert.equal(attach.status, 200, JSON.stringify(attach.body));

    const any = await t.call('GET', `/v1/oncall?service=${setup.service}`, { key: reader });
    assert.equal(any.status, 200, JSON.stringify(any.body));
    assert.equal(any.body.policy.id, setup.policyId);
    assert.deepEqual(
      any.body.users.map((u: { userId: string; via: { kind: string } }) => [u.userId, u.via.kind]),
      [[setup.users.alice, 'schedule']],
    );
    const critical = await t.runtime.escalation.escalations.onCall(setup.service, undefined, 'SEV1');
    assert.equal(critical.policy?.id, sev1.id);
    assert.deepEqual(
      critical.users.map((u) => u.userId),
      [setup.users.bob],
    );
    // Tomorrow after 09:00 it is Bob's turn in the schedule.
    const tomorrow = await t.runtime.escalation.escalations.onCall(
      setup.service,
      new Date('2026-03-03T10:00:00Z'),
    );
    assert.equal(tomorrow.users[0]?.userId, setup.users.bob);
    assert.equal(tomorrow.users[0]?.slackUserId?.startsWith('UBOB'), true);
    const nothing = await t.runtime.escalation.escalations.onCall(`${setup.service}-none`);
    assert.deepEqual([nothing.policy, nothing.users], [null, []]);

    // A SEV1 incident escalates under the SEV1 policy; a SEV3 one under the service's default.
    const bridge = await openIncident(t.call, setup.service, 'SEV1');
    const pages = await eventually(async () => {
      const paged = (await streamOf(t.runtime.pool, bridge)).filter((e) => e.type === 'ResponderPaged');
      return paged.length > 0 && paged;
    });
    assert.equal(pages[0]!.data.userId, setup.users.bob);

    const changed = await t.call('PUT', `/v1/escalation-policies/${sev1.id}`, {
      body: {
        name: 'SEV1 bridge',
        levels: [{ targets: [{ kind: 'channel', id: 'C1' }], delayMinutes: 2 }],
        repeats: 1,
      },
    });
    assert.equal(changed.body.version, 2);
    const old = await t.call('GET', `/v1/escalation-policies/${sev1.id}?version=1`);
    assert.equal(old.body.levels[0].targets[0].kind, 'user');
    assert.equal((await t.call('GET', `/v1/escalation-policies/${sev1.id}?version=3`)).status, 404);
    assert.equal((await t.call('GET', `/v1/escalation-policies/${randomUUID()}`)).status, 404);

    const detach = await t.call(
      'DELETE',
      `/v1/escalation-policies/${sev1.id}/attachments?service=${setup.service}&severity=SEV1`,
    );
    assert.equal(detach.status, 200, JSON.stringify(detach.body));
    const again = await t.call(
      'DELETE',
      `/v1/escalation-policies/${sev1.id}/attachments?service=${setup.service}&severity=SEV1`,
    );
    assert.equal(again.status, 404);
    assert.equal(again.body.code, 'PolicyNotAttached');
    assert.equal(
      (
        await t.call('POST', `/v1/escalation-policies/${randomUUID()}/attachments`, {
          body: { service: 'x' },
        })
      ).body.code,
      'PolicyNotFound',
    );
    const routing = await t.runtime.pool.query(
      `SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [`escalation-routing-${setup.service}`],
    );
    assert.deepEqual(
      routing.rows.map((r) => r.type),
      ['EscalationPolicyAttached', 'EscalationPolicyAttached', 'EscalationPolicyDetached'],
    );
  });

  it('pages by hand: a user or whoever is on call in a schedule, outside the policy', async () => {
    clock.set(START);
    const setup = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z' });
    const id = await openIncident(t.call, setup.service);
    await eventually(async () =>
      (await streamOf(t.runtime.pool, id)).some((e) => e.type === 'ResponderPaged'),
    );
    assert.equal((await t.call('POST', `/v1/incidents/${id}/acknowledge`, { body: {} })).status, 200);
    const bySchedule = await t.call('POST', `/v1/incidents/${id}/pages`, {
      body: { scheduleId: setup.scheduleId },
    });
    assert.equal(bySchedule.status, 200, JSON.stringify(bySchedule.body));
    assert.deepEqual(
      [bySchedule.body.userId, bySchedule.body.level, bySchedule.body.via.kind],
      [setup.users.alice, null, 'schedule'],
    );
    const byUser = await t.runtime.escalation.escalations.page(
      id,
      { userId: setup.users.carol },
      { kind: 'slack', id: 'U0SLACKER', name: 'slacker' },
    );
    assert.equal(byUser.userId, setup.users.carol);
    const events = await streamOf(t.runtime.pool, id);
    const last = events.at(-1)!;
    assert.deepEqual(
      [last.type, last.metadata.source, last.metadata.actor.kind],
      ['ResponderPaged', 'slack', 'slack'],
    );
    assert.equal((await t.call('POST', `/v1/incidents/${id}/pages`, { body: {} })).status, 400);
    assert.equal(
      (await t.call('POST', `/v1/incidents/${id}/pages`, { body: { userId: randomUUID() } })).body.code,
      'UserNotFound',
    );
    const explained = await t.call('GET', `/v1/incidents/${id}/paging-explanation`);
    assert.equal(explained.body.manualPages.length, 2);
    assert.equal(explained.body.cycles[0].stoppedBy.type, 'IncidentAcknowledged');
    assert.equal((await t.call('POST', `/v1/incidents/${id}/resolve`, { body: {} })).status, 200);
    const resolved = await t.call('POST', `/v1/incidents/${id}/pages`, { body: { userId: setup.users.bob } });
    assert.equal(resolved.status, 409);
    assert.equal(resolved.body.code, 'IncidentNotOpen');
  });

  it('escalateNow for the Slack app, and a service without a policy', async () => {
    clock.set(START);
    const setup = await setUpEscalation(t.call, { layerStart: '2026-03-02T09:00:00Z' });
    const id = await openIncident(t.call, setup.service);
    await eventually(async () =>
      (await streamOf(t.runtime.pool, id)).some((e) => e.type === 'ResponderPaged'),
    );
    await t.runtime.escalation.escalations.escalateNow(id, { kind: 'slack', id: 'U0SLACKER' });
    const level2 = (await streamOf(t.runtime.pool, id))
      .filter((e) => e.type === 'EscalationStepStarted')
      .at(-1)!;
    assert.deepEqual([level2.data.level, level2.metadata.source], [2, 'slack']);

    const bare = await openIncident(t.call, `${setup.service}-bare`);
    const refused = await t.call('POST', `/v1/incidents/${bare}/escalate`, { body: {} });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'NoEscalationPolicy');
    assert.equal((await t.call('POST', `/v1/incidents/${randomUUID()}/escalate`, { body: {} })).status, 404);
  });
});
