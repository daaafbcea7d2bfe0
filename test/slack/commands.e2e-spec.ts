import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { EscalationPort, SlackUserLookup } from '#vigil/slack';
import { waitFor } from '../support/fake-slack.js';
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

  it('escalate, oncall and page say escalation is not configured until it is bound', async () => {
    const { id } = await declare('Disk filling sev4');
    for (const text of [`escalate #${id}`, 'oncall payments', `page #${id} <@U0G9QF9C6>`]) {
      assert.match((await run(text)).text, /Escalation is not configured/, text);
    }
  });

  it('goes through the bound escalation port and user lookup', async () => {
    const slack = s.t.runtime.slack!;
    const saved = { users: slack.users, escalation: slack.escalation };
    const seen: string[] = [];
    const users: SlackUserLookup = {
      bySlackId: async (id) => (id === 'U0MAPPED1' ? { id: 'user-42', name: 'Mapped Person' } : null),
      byId: async () => null,
    };
    const escalation: EscalationPort = {
      escalateNow: async (incidentId, actor) =>
        void seen.push(`escalate ${incidentId} ${actor.kind}:${actor.id}`),
      onCall: async (service) => [{ userId: 'user-7', name: `On ${service}`, slackUserId: 'U0ONCALL1' }],
      page: async (incidentId, target) => void seen.push(`page ${incidentId} ${JSON.stringify(target)}`),
    };
    slack.users = users;
    slack.escalation = escalation;
    try {
      const { id } = await declare('Mapped user declares sev4', { userId: 'U0MAPPED1' });
      const [opened] = await s.events(id);
      assert.deepEqual(opened!.metadata.actor, { kind: 'user', id: 'user-42', name: 'Mapped Person' });
      assert.equal(opened!.data.openedBy, 'user-42');
      assert.match((await run(`escalate #${id}`, { userId: 'U0MAPPED1' })).text, /^Escalated #/);
      assert.match((await run('oncall payments')).text, /On call for payments: <@U0ONCALL1>/);
      assert.match((await run(`page #${id} Payments primary`)).text, /Paging schedule Payments primary/);
      assert.deepEqual(seen, [
        `escalate ${id} user:user-42`,
        `page ${id} {"kind":"schedule","name":"Payments primary"}`,
      ]);
    } finally {
      slack.users = saved.users;
      slack.escalation = saved.escalation;
    }
  });
});
