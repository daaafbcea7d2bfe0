import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ManualClock } from '#vigil/common';
import { CommandRunner, PostgresEventStore } from '#vigil/event-store';
import { freePort } from '../../../../apps/vigil/src/support/free-port.js';
import { createEscalation } from './escalation-runtime.js';

describe('escalation engine without its database', () => {
  it(
    'ends a pass that cannot claim anything instead of trying again at once',
    { timeout: 30_000 },
    async () => {
      // A port nothing listens on: every connection is refused.
      const pool = new pg.Pool({ host: '127.0.0.1', port: await freePort(), user: 'vigil', max: 2 });
      pool.on('error', () => undefined);
      const store = new PostgresEventStore(pool);
      const publish = () => undefined;
      const errors: string[] = [];
      const { engine } = createEscalation({
        pool,
        store,
        commands: new CommandRunner(store, publish),
        clock: new ManualClock(new Date('2026-03-02T10:00:00Z')),
        publish,
        hooks: { error: (message) => errors.push(message) },
      });
      const fired = await engine.fireDue(new Date('2026-03-02T10:00:00Z'), 'timer', {
        kind: 'system',
        id: 'escalation',
      });
      assert.equal(fired, 0);
      // The batch's failure and the one step's: told once each, not over and over.
      assert.deepEqual(errors, [
        'a batch of escalation steps failed; its steps fire one at a time',
        'an escalation step failed; the auditor will retry it',
      ]);
      await pool.end();
    },
  );
});
