import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EscalationNotConfigured, type EscalationPort, type SlackUserLookup } from '#vigil/slack';
import { waitFor } from '../support/wait-for.js';
import { countEvents, startSlackTestApp, type SlackTestApp } from './slack-support.js';

const hex = (id: string) => id.replace(/-/g, '');

describe('Slack: /incident subcommands', () => {
  let s: SlackTestApp;
  before(async () => {
    s = await startSlackTestApp();
  });
  after(() => s.close());

  const declare = async (text: string, options: { userId?: string; userName?: string } = {}) => {
    const res = await s.command(`declare ${text}`, options);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const reply = await s.responseTo(res.responseId);
    assert.equal(reply.response_type, 'in_channel', JSON.stringify(reply));
    return { id: await s.incidentDeclaredBy(res.triggerId), reply };
  };

  /** Runs a command and answers what Vigil responded (to the response URL). */
  const run = async (text: string, options: Parameters<SlackTestApp['command']>[1] = {}) => {
    const res = await s.command(text, options);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body, undefined, 'a command that does work acknowledges with an empty body');
    return s.responseTo(res.responseId);
  };

  const knownToSlack = (incidentId: string) =>
    waitFor(
      async () =>
        (await s.t.runtime.pool.query(`SELECT 1 FROM slack_incidents WHERE incident_id = $1`, [incidentId]))
          .rowCount === 1,
      `incident ${incidentId} in slack_incidents`,
    );

  it('declare opens an incident whose events have the Slack user as actor and source slack', async () => {
    const { id, reply } = await declare('Checkout returns 502 sev3 checkout', { userName: 'alice' });
    assert.match(
      reply.text,
      new RegExp(`<@U024BE7LH> declared \\*SEV3\\* incident #${hex(id).slice(-8)} on checkout`),
    );
    const [opened, ...rest] = await s.events(id);
    assert.equal(rest.length, 0);
    assert.equal(opened!.type, 'IncidentOpened');
    assert.deepEqual(
      {
        title: opened!.data.title,
        severity: opened!.data.severity,
        service: opened!.data.service,
        openedBy: opened!.data.openedBy,
      },
      { title: 'Checkout returns 502', severity: 'SEV3', service: 'checkout', openedBy: 'U024BE7LH' },
    );
    assert.deepEqual(opened!.metadata.actor, { kind: 'slack', id: 'U024BE7LH', name: 'alice' });
    assert.equal(opened!.metadata.source, 'slack');
  });

  it('ack, sev, assign, note and resolve change the incident named by its full id, its start or its end', async () => {
    const { id } = await declare('Payments slow sev4');
    await knownToSlack(id);
    assert.match((await run(`ack #${id}`)).text, /^Acknowledged #/);
    assert.match((await run(`sev #${hex(id).slice(-6)} 2 customers notice`)).text, /Severity set to SEV2/);
    assert.match(
      (await run(`assign #${hex(id).slice(-8)} <@U0G9QF9C6|bob> commander`)).text,
      /<@U0G9QF9C6> is now commander/,
    );
    assert.match(
      (await run(`note #${hex(id).slice(-8)} the cache hit ratio fell at 10:02`)).text,
      /^Note added to #/,
    );
    assert.match((await run(`diagnose #${id} pool exhausted`)).text, /Diagnosis recorded/);
    assert.match((await run(`remediate #${id} raising the pool size`)).text, /Remediation recorded/);
    assert.match((await run(`update #${id} customers may see slow payments`)).text, /Status update posted/);
    assert.match((await run(`mitigate #${id}`)).text, /^Mitigated #/);
    assert.match((await run(`resolve #${id.slice(0, 18)} pool size raised`)).text, /^Resolved #/);
    assert.match((await run(`reopen #${id} errors are back`)).text, /^Reopened #/);

    const events = await s.events(id);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'IncidentOpened',
        'IncidentAcknowledged',
        'IncidentSeverityChanged',
        'IncidentRoleAssigned',
        'IncidentNoteAdded',
        'IncidentDiagnosisRecorded',
        'IncidentRemediationStarted',
        'IncidentStatusUpdatePosted',
        'IncidentMitigated',
        'IncidentResolved',
        'IncidentReopened',
      ],
    );
    for (const e of events) {
      assert.equal(e.metadata.source, 'slack', e.type);
      assert.equal(e.metadata.actor.kind, 'slack', e.type);
      assert.equal(e.metadata.actor.id, 'U024BE7LH', e.type);
    }
    const byType = Object.fromEntries(events.map((e) => [e.type, e.data]));
    assert.equal(byType.IncidentAcknowledged.acknowledgedBy, 'U024BE7LH');
    assert.deepEqual(
      [byType.IncidentSeverityChanged.to, byType.IncidentSeverityChanged.reason],
      ['SEV2', 'customers notice'],
    );
    assert.deepEqual(
      [byType.IncidentRoleAssigned.role, byType.IncidentRoleAssigned.assignee],
      ['commander', 'U0G9QF9C6'],
    );
    assert.equal(byType.IncidentNoteAdded.text, 'the cache hit ratio fell at 10:02');
    assert.equal(byType.IncidentResolved.summary, 'pool size raised');
    assert.equal(byType.IncidentReopened.reason, 'errors are back');
  });

  it('status and timeline answer ephemerally', async () => {
    const { id } = await declare('Search is empty sev4 search');
    await run(`note #${id} index rebuild running`);
    const status = await run(`status #${id}`);
    assert.equal(status.response_type, 'ephemeral');
    assert.match(status.text, /\[SEV4\] Triggered: Search is empty/);
    assert.ok(
      status.blocks?.some((b) => b.type === 'actions'),
      'status shows the buttons',
    );
    await s.t.runtime.subscriptions.catchUpAll();
    const timeline = await run(`timeline #${id}`);
    assert.equal(timeline.response_type, 'ephemeral');
    assert.match(timeline.text, /Opened as SEV4 on search by alice: Search is empty/);
    assert.match(timeline.text, /Note added by alice: index rebuild running/);
  });

  it('inside an incident channel the incident is implied', async () => {
    const { id } = await declare('Login fails for everyone sev1 auth');
    const channel = await waitFor(
      async () =>
        (
          await s.t.runtime.pool.query<{ channel_id: string | null }>(
            `SELECT channel_id FROM slack_incidents WHERE incident_id = $1`,
            [id],
          )
        ).rows[0]?.channel_id,
      'the incident channel',
    );
    assert.match((await run('ack', { channelId: channel })).text, /^Acknowledged #/);
    assert.match((await run('note rolling back auth-7', { channelId: channel })).text, /^Note added/);
    const types = (await s.events(id)).map((e) => e.type);
    assert.deepEqual(types, ['IncidentOpened', 'IncidentAcknowledged', 'IncidentNoteAdded']);
  });

  it('wrong usage is answered at once with ephemeral help, and appends nothing', async () => {
    const before = await countEvents(s.t);
    const cases: Array<[string, RegExp]> = [
      ['sev 9', /"9" is not a severity from 1 to 4\.\nUsage: `\/incident sev \[#id\] <1-4> \[reason\]`/],
      ['frobnicate', /"frobnicate" is not an \/incident subcommand[\s\S]*\/incident declare/],
      ['declare', /declare needs a title[\s\S]*Usage: `\/incident declare/],
      ['assign @bob commander', /not a Slack mention/],
      ['', /subcommands[\s\S]*`\/incident oncall \[service\]`/],
      ['help page', /^Usage: `\/incident page \[#id\] <@user\|schedule>`/],
    ];
    for (const [text, expected] of cases) {
      const res = await s.command(text);
      assert.equal(res.status, 200, text);
      assert.equal(res.body.response_type, 'ephemeral', text);
      assert.match(res.body.text, expected, text);
    }
    assert.equal(await countEvents(s.t), before);
  });

  it('a command Vigil cannot carry out says why, ephemerally', async () => {
    const outside = await run('ack');
    assert.equal(outside.response_type, 'ephemeral');
    assert.match(outside.text, /not an incident channel: name the incident/);
    assert.match((await run(`ack #${randomUUID()}`)).text, /does not exist/);
    assert.match((await run('ack #ffffeeee9999')).text, /No incident matches #ffffeeee9999/);
    const { id } = await declare('Queue backlog sev4');
    assert.match((await run(`reopen #${id}`)).text, /not resolved|only a resolved/i);
  });

  it('escalate, oncall and page say why when there is nothing to escalate, nobody to page', async () => {
    const { id } = await declare('Disk filling sev4');
    const cases: Array<[string, RegExp]> = [
      [`escalate #${id}`, /No escalation policy was attached to service unknown/],
      ['oncall nosuchservice', /No escalation policy is attached to nosuchservice/],
      [`page #${id} <@U0NOTUSER1>`, /<@U0NOTUSER1> is not a Vigil user yet/],
      [`page #${id} No such rota`, /No schedule is named "No such rota"/],
    ];
    for (const [text, expected] of cases) assert.match((await run(text)).text, expected, text);
  });

  it('Slack users act as their Vigil user; oncall, page and escalate go through the escalation engine', async () => {
    const tag = randomUUID().slice(0, 6).toUpperCase();
    const created = async (path: string, body: unknown) => {
      const res = await s.t.call('POST', path, { body });
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    const oncallSlackId = `U0ON${tag}`;
    const oncall = await created('/v1/users', { name: `Olga ${tag}`, slackUserId: oncallSlackId });
    const mapped = await created('/v1/users', { name: `Mapped ${tag}`, slackUserId: `U0MA${tag}` });
    const schedule = await created('/v1/schedules', {
      name: `Rota ${tag}`,
      timeZone: 'UTC',
      layers: [
        {
          name: 'Daily',
          start: new Date(Date.now() - 86_400_000).toISOString(),
          rotation: { kind: 'daily' },
          handoffTime: '09:00',
          users: [oncall.id],
        },
      ],
    });
    const policy = await created('/v1/escalation-policies', {
      name: `Policy ${tag}`,
      levels: [
        { targets: [{ kind: 'schedule', id: schedule.id }], delayMinutes: 30 },
        { targets: [{ kind: 'user', id: mapped.id }], delayMinutes: 30 },
      ],
      repeats: 0,
    });
    const service = `svc-${tag.toLowerCase()}`;
    const attached = await s.t.call('POST', `/v1/escalation-policies/${policy.id}/attachments`, {
      body: { service },
    });
    assert.equal(attached.status, 200, JSON.stringify(attached.body));

    assert.equal((await run(`oncall ${service}`)).text, `On call for ${service}: <@${oncallSlackId}>`);

    // Declared by a Slack user who is a Vigil user: the events name the Vigil user.
    const { id } = await declare(`Mapped user declares sev4 ${service}`, { userId: `U0MA${tag}` });
    const [opened] = await s.events(id);
    assert.deepEqual(opened!.metadata.actor, { kind: 'user', id: mapped.id, name: `Mapped ${tag}` });
    assert.equal(opened!.metadata.source, 'slack');
    // The policy paged the on-call user at once; the page reached them in Slack.
    const dm = `D${oncallSlackId.slice(1)}`;
    await waitFor(
      () => s.fake.callsTo('chat.postMessage').some((c) => c.args.channel === dm),
      'the level-1 DM',
    );

    assert.match(
      (await run(`page #${id} Rota ${tag}`, { userId: `U0MA${tag}` })).text,
      /^Paging schedule Rota/,
    );
    assert.match((await run(`page #${id} <@${oncallSlackId}>`)).text, /^Paging <@/);
    assert.equal((await run(`escalate #${id}`)).text, `Escalated #${hex(id).slice(-8)} to its next level.`);
    const paged = (await s.events(id)).filter((e) => e.type === 'ResponderPaged');
    assert.deepEqual(
      paged.filter((e) => e.data.level !== null).map((e) => [e.data.level, e.data.userId]),
      [
        [1, oncall.id],
        [2, mapped.id],
      ],
    );
    const escalated = (await s.events(id)).find(
      (e) => e.type === 'EscalationStepStarted' && e.data.level === 2,
    )!;
    assert.deepEqual([escalated.metadata.actor.id, escalated.metadata.source], ['U024BE7LH', 'slack']);
    const byHand = paged.filter((e) => e.data.level === null);
    assert.equal(byHand.length, 2);
    for (const e of byHand) {
      assert.equal(e.metadata.source, 'slack');
      assert.equal(e.data.userId, oncall.id);
    }
    assert.deepEqual(byHand[0]!.metadata.actor, { kind: 'user', id: mapped.id, name: `Mapped ${tag}` });
    assert.deepEqual(byHand[1]!.metadata.actor, { kind: 'slack', id: 'U024BE7LH', name: 'alice' });
  });

  it('the escalation port can be bound to something else (the stub answers that escalation is not configured)', async () => {
    const slack = s.t.runtime.slack!;
    const saved = { users: slack.users, escalation: slack.escalation };
    const seen: string[] = [];
    const users: SlackUserLookup = {
      bySlackId: async (id) => (id === 'U0SWAPPED' ? { id: 'user-42', name: 'Swapped Person' } : null),
      byId: async () => null,
    };
    const escalation: EscalationPort = {
      escalateNow: async (incidentId, actor) =>
        void seen.push(`escalate ${incidentId} ${actor.kind}:${actor.id}`),
      onCall: async (service) => [{ userId: 'user-7', name: `On ${service}`, slackUserId: null }],
      page: async () => undefined,
    };
    try {
      slack.users = users;
      slack.escalation = escalation;
      const { id } = await declare('Swapped ports sev4', { userId: 'U0SWAPPED' });
      assert.deepEqual((await s.events(id))[0]!.metadata.actor, {
        kind: 'user',
        id: 'user-42',
        name: 'Swapped Person',
      });
      assert.match((await run(`escalate #${id}`, { userId: 'U0SWAPPED' })).text, /^Escalated #/);
      assert.equal((await run('oncall payments')).text, 'On call for payments: On payments');
      assert.deepEqual(seen, [`escalate ${id} user:user-42`]);
      slack.escalation = new EscalationNotConfigured();
      assert.match((await run(`escalate #${id}`)).text, /Escalation is not configured/);
    } finally {
      slack.users = saved.users;
      slack.escalation = saved.escalation;
    }
  });
});
