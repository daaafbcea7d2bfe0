import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ApiKeys } from '#vigil/common';
import { testDatabaseUrl } from '../support/database.js';
import { freePort } from '../../apps/vigil/src/support/free-port.js';

const DIST = new URL('../../apps/vigil/src/', import.meta.url);

const run = async (script: string, args: string[], env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, [new URL(script, DIST).pathname, ...args], {
    env: { ...process.env, DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
};

describe('the vigil processes', () => {
  let pool: pg.Pool;
  before(() => {
    pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  after(() => pool.end());

  it('api-key create prints the new key alone on its last line, and it works with its scopes', async () => {
    const { code, stdout } = await run('cli/main.js', [
      'api-key',
      'create',
      '--name',
      'ticketing',
      '--scopes',
      'incidents:read',
    ]);
    assert.equal(code, 0);
    const key = stdout.trim().split('\n').at(-1)!;
    assert.match(key, /^vgl_[A-Za-z0-9_-]{32}$/);
    const record = await new ApiKeys(pool).verify(key);
    assert.deepEqual(record?.scopes, ['incidents:read']);
    assert.equal(record?.name, 'ticketing');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM api_keys WHERE key_hash LIKE $1`, [
      `%${key}%`,
    ]);
    assert.equal(rows[0].n, 0, 'the key itself is not stored');
  });

  it('refuses an unknown scope and an unknown command with a message and a non-zero exit', async () => {
    const bad = await run('cli/main.js', ['api-key', 'create', '--name', 'x', '--scopes', 'everything']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown scope everything/);
    const unknown = await run('cli/main.js', ['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /usage: npm run vigil/);
  });

  it('replay rebuilds the read models from the log', async () => {
    const { code, stdout } = await run('cli/main.js', ['replay']);
    assert.equal(code, 0, stdout);
    const [, events] = /replayed (\d+) events/.exec(stdout) ?? [];
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM events`);
    assert.equal(Number(events), rows[0].n);
  });

  it('the server starts, reports ready, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [new URL('main.js', DIST).pathname], {
      env: {
        ...process.env,
        DATABASE_URL: testDatabaseUrl(),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit');
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 100 && !ready?.ok; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (!ready?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(ready?.status, 200);
      assert.deepEqual(await ready.json(), {
        status: 'ready',
        checks: { database: 'up', migrations: 'applied' },
      });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.match(output, /shutting down/);
    assert.doesNotMatch(output, /postgres:\/\/|vgl_/, 'no connection string or key in the logs');
  });
});
