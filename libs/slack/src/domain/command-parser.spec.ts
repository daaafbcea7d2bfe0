import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  helpText,
  parseIncidentCommand,
  USAGE,
  type SlackSubcommand,
  type SubcommandName,
} from './command-parser.js';

const REF = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

const parses: Array<[string, SlackSubcommand]> = [
  ['', { name: 'help', topic: null }],
  ['help', { name: 'help', topic: null }],
  ['HELP', { name: 'help', topic: null }],
  ['help resolve', { name: 'help', topic: 'resolve' }],
  ['? acknowledge', { name: 'help', topic: 'ack' }],
  // declare: trailing sev and service are options, the rest is the title
  ['declare Checkout is down', { name: 'declare', title: 'Checkout is down', severity: null, service: null }],
  [
    'declare Checkout is down sev1',
    { name: 'declare', title: 'Checkout is down', severity: 'SEV1', service: null },
  ],
  [
    'declare Checkout is down SEV-2 payments',
    { name: 'declare', title: 'Checkout is down', severity: 'SEV2', service: 'payments' },
  ],
  [
    'declare  Disk  full on node 3 ',
    { name: 'declare', title: 'Disk full on node 3', severity: null, service: null },
  ],
  [
    'declare "Checkout down sev1" sev2 checkout-api',
    { name: 'declare', title: 'Checkout down sev1', severity: 'SEV2', service: 'checkout-api' },
  ],
  ['declare "Quoted title"', { name: 'declare', title: 'Quoted title', severity: null, service: null }],
  [
    'declare Error rate sev4 api.gateway',
    { name: 'declare', title: 'Error rate', severity: 'SEV4', service: 'api.gateway' },
  ],
  // the incident is implied, or named by #id
  ['ack', { name: 'ack', ref: null }],
  ['acknowledge', { name: 'ack', ref: null }],
  [`ack #${REF}`, { name: 'ack', ref: REF }],
  ['ack #0199A1B2', { name: 'ack', ref: '0199a1b2' }],
  ['status', { name: 'status', ref: null }],
  ['status #3f4a5b', { name: 'status', ref: '3f4a5b' }],
  ['sev 2', { name: 'sev', ref: null, severity: 'SEV2', reason: null }],
  [
    'sev sev1 customers cannot pay',
    { name: 'sev', ref: null, severity: 'SEV1', reason: 'customers cannot pay' },
  ],
  ['severity #abcd 4', { name: 'sev', ref: 'abcd', severity: 'SEV4', reason: null }],
  [
    'assign <@U024BE7LH|alice> commander',
    { name: 'assign', ref: null, slackUserId: 'U024BE7LH', role: 'commander' },
  ],
  [
    'assign #abcd <@W012A3CDE> comms',
    { name: 'assign', ref: 'abcd', slackUserId: 'W012A3CDE', role: 'communications' },
  ],
  ['assign <@U024BE7LH> IC', { name: 'assign', ref: null, slackUserId: 'U024BE7LH', role: 'commander' }],
  [
    'diagnose Pool exhausted on payments-db',
    { name: 'diagnose', ref: null, text: 'Pool exhausted on payments-db' },
  ],
  ['diagnosis #abcd bad deploy', { name: 'diagnose', ref: 'abcd', text: 'bad deploy' }],
  [
    'remediate Rolling back 2026-11-28.3',
    { name: 'remediate', ref: null, text: 'Rolling back 2026-11-28.3' },
  ],
  ['mitigate', { name: 'mitigate', ref: null, summary: null }],
  [
    'mitigate traffic drained to eu-west',
    { name: 'mitigate', ref: null, summary: 'traffic drained to eu-west' },
  ],
  ['resolve', { name: 'resolve', ref: null, summary: null }],
  ['resolve #abcd rolled back', { name: 'resolve', ref: 'abcd', summary: 'rolled back' }],
  ['reopen', { name: 'reopen', ref: null, reason: null }],
  ['reopen errors are back', { name: 'reopen', ref: null, reason: 'errors are back' }],
  ['note line one\nline two', { name: 'note', ref: null, text: 'line one\nline two' }],
  ['note #abcd #1 suspect is the cache', { name: 'note', ref: 'abcd', text: '#1 suspect is the cache' }],
  [
    'update Customers see errors; next update 14:30',
    { name: 'update', ref: null, text: 'Customers see errors; next update 14:30' },
  ],
  ['escalate', { name: 'escalate', ref: null }],
  ['escalate #abcd', { name: 'escalate', ref: 'abcd' }],
  ['timeline', { name: 'timeline', ref: null }],
  ['oncall', { name: 'oncall', service: null }],
  ['oncall payments', { name: 'oncall', service: 'payments' }],
  ['on-call payments', { name: 'oncall', service: 'payments' }],
  [
    'page <@U024BE7LH|alice>',
    { name: 'page', ref: null, target: { kind: 'user', slackUserId: 'U024BE7LH' } },
  ],
  [
    'page #abcd Payments primary',
    { name: 'page', ref: 'abcd', target: { kind: 'schedule', name: 'Payments primary' } },
  ],
];

const refuses: Array<[string, SubcommandName | null, RegExp]> = [
  ['frobnicate', null, /"frobnicate" is not an \/incident subcommand/],
  ['help frobnicate', null, /not an \/incident subcommand/],
  ['declare', 'declare', /needs a title/],
  ['declare sev1', 'declare', /needs a title/],
  ['declare "unterminated sev1', 'declare', /closing quote/],
  ['declare "title" sev1 svc extra', 'declare', /only \[sev1-4\] \[service\]/],
  ['declare "title" sev9', 'declare', /not a severity/],
  ['declare "title" sev1 bad!service', 'declare', /not a service name/],
  [`declare ${'x'.repeat(201)}`, 'declare', /longer than 200/],
  ['ack now please', 'ack', /takes no text/],
  ['status everything', 'status', /takes no text/],
  ['timeline full', 'timeline', /takes no text/],
  ['sev', 'sev', /needs a level/],
  ['sev 5', 'sev', /"5" is not a severity/],
  ['sev high', 'sev', /"high" is not a severity/],
  ['assign', 'assign', /needs a person and a role/],
  ['assign @alice commander', 'assign', /not a Slack mention/],
  ['assign <@U024BE7LH>', 'assign', /needs a role/],
  ['assign <@U024BE7LH> janitor', 'assign', /"janitor" is not a role/],
  ['assign <@U024BE7LH> commander now', 'assign', /nothing more/],
  ['diagnose', 'diagnose', /needs a diagnosis/],
  ['remediate #abcd', 'remediate', /needs an action/],
  ['note', 'note', /needs a note/],
  [`note ${'x'.repeat(5001)}`, 'note', /longer than 5000/],
  ['update', 'update', /needs a status update/],
  ['oncall pay ments', 'oncall', /not a service name/],
  ['page', 'page', /needs a person/],
  ['page @alice', 'page', /not a Slack mention/],
  ['page <@alice>', 'page', /not a Slack mention/],
];

describe('parseIncidentCommand', () => {
  for (const [text, expected] of parses) {
    it(`reads "${text.replace(/\n/g, '\\n').slice(0, 60)}"`, () =>
      assert.deepEqual(parseIncidentCommand(text), { ok: true, command: expected }));
  }
  for (const [text, subcommand, error] of refuses) {
    it(`refuses "${text.slice(0, 60)}"`, () => {
      const parsed = parseIncidentCommand(text);
      assert.equal(parsed.ok, false, JSON.stringify(parsed));
      if (parsed.ok) return;
      assert.equal(parsed.subcommand, subcommand);
      assert.match(parsed.error, error);
    });
  }

  it('covers every subcommand in the tables above', () => {
    const seen = new Set(parses.map(([, c]) => c.name));
    assert.deepEqual([...seen].sort(), Object.keys(USAGE).sort());
  });

  it('drops NUL characters rather than passing them to the store', () =>
    assert.deepEqual(parseIncidentCommand('note a\u0000b'), {
      ok: true,
      command: { name: 'note', ref: null, text: 'ab' },
    }));
});

describe('helpText', () => {
  it('lists every subcommand, with how to name an incident', () => {
    const text = helpText('/incident');
    for (const name of Object.keys(USAGE)) assert.match(text, new RegExp(`\`/incident ${name} `));
    assert.match(text, /#id/);
  });

  it("shows one subcommand's usage", () =>
    assert.equal(
      helpText('/incident', 'sev'),
      'Usage: `/incident sev [#id] <1-4> [reason]` change the severity',
    ));
});
