import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { matcherProblem, matchesAll, silencing, type Matcher, type Silence } from './silences.js';

const labels = { alertname: 'DiskFull', instance: 'db-1', service: 'payments', env: 'prod' };

describe('matchers', () => {
  const table: Array<[Matcher, boolean]> = [
    [{ name: 'alertname', op: '=', value: 'DiskFull' }, true],
    [{ name: 'alertname', op: '=', value: 'Disk' }, false],
    [{ name: 'env', op: '!=', value: 'staging' }, true],
    [{ name: 'env', op: '!=', value: 'prod' }, false],
    [{ name: 'instance', op: '=~', value: 'db-[0-9]+' }, true],
    [{ name: 'instance', op: '=~', value: 'db' }, false],
    [{ name: 'instance', op: '!~', value: 'web-.*' }, true],
    [{ name: 'instance', op: '!~', value: 'db-.*' }, false],
    [{ name: 'team', op: '=', value: '' }, true],
    [{ name: 'team', op: '=~', value: '.+' }, false],
  ];
  for (const [matcher, expected] of table) {
    it(`${matcher.name}${matcher.op}"${matcher.value}" → ${expected}`, () => {
      assert.equal(matchesAll([matcher], labels), expected);
    });
  }

  it('requires every matcher to match', () => {
    assert.equal(
      matchesAll(
        [
          { name: 'service', op: '=', value: 'payments' },
          { name: 'env', op: '=', value: 'staging' },
        ],
        labels,
      ),
      false,
    );
  });

  it('names what is wrong with a matcher', () => {
    assert.match(matcherProblem({ name: '1bad', op: '=', value: 'x' })!, /not a valid label name/);
    assert.match(matcherProblem({ name: 'a', op: '=~', value: '(' })!, /does not compile/);
    assert.match(matcherProblem({ name: 'a', op: '=~', value: 'x'.repeat(300) })!, /longer than/);
    assert.equal(matcherProblem({ name: 'a', op: '=~', value: 'db-.*' }), null);
  });

  it("takes RE2's syntax, as Alertmanager does: no lookaround or backreferences", () => {
    assert.match(matcherProblem({ name: 'a', op: '=~', value: '(?=x)x' })!, /does not compile/);
    assert.match(matcherProblem({ name: 'a', op: '=~', value: '(a)\\1' })!, /does not compile/);
    assert.equal(matcherProblem({ name: 'a', op: '=~', value: '(?i)DB-[[:digit:]]+' }), null);
    assert.equal(matchesAll([{ name: 'a', op: '=~', value: '(?i)DB-[[:digit:]]+' }], { a: 'db-12' }), true);
  });

  it('a stored pattern RE2 refuses (made before matchers took its syntax) matches nothing, and throws nothing', () => {
    const labels = { a: 'x' };
    assert.equal(matchesAll([{ name: 'a', op: '=~', value: '(?=x)x' }], labels), false);
    assert.equal(matchesAll([{ name: 'a', op: '!~', value: '(?=x)x' }], labels), false);
    assert.equal(matchesAll([{ name: 'a', op: '!~', value: 'y' }], labels), true);
  });

  // A backtracking engine takes time exponential in the label's length over this pattern (minutes
  // at 40 characters, stalling all ingestion). The match runs in a worker, stopped if it hangs.
  it('matches a catastrophic pattern in time linear in the label', async () => {
    const matchers: Matcher[] = [{ name: 'alertname', op: '=~', value: '(a+)+$' }];
    const labels = [`${'a'.repeat(10_000)}!`, 'a'.repeat(10_000)];
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.module).then((m) =>
         parentPort.postMessage(workerData.labels.map((l) => m.matchesAll(workerData.matchers, { alertname: l }))));`,
      {
        eval: true,
        workerData: { module: new URL('./silences.js', import.meta.url).href, matchers, labels },
      },
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        once(worker, 'message').then(([results]) => results as boolean[]),
        new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 10_000))),
      ]);
      assert.deepEqual(answer, [false, true]);
    } finally {
      clearTimeout(timer);
      await worker.terminate();
    }
  });
});

describe('silencing', () => {
  const silence = (startsAt: string, endsAt: string): Silence => ({
    id: 's1',
    matchers: [{ name: 'service', op: '=', value: 'payments' }],
    startsAt,
    endsAt,
    comment: 'maintenance',
    createdBy: 'alice',
  });
  it('applies only between its start (inclusive) and end (exclusive)', () => {
    const s = silence('2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z');
    assert.equal(silencing([s], labels, '2026-01-01T09:59:59.999Z'), null);
    assert.equal(silencing([s], labels, '2026-01-01T10:00:00.000Z')?.id, 's1');
    assert.equal(silencing([s], labels, '2026-01-01T11:00:00.000Z'), null);
  });
});
