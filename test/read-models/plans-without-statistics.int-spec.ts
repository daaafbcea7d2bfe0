import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { eventsBeyondStatement, quoteLiteral } from '#vigil/event-store';
import { INCIDENTS_BEHIND_STATEMENT } from '#vigil/incidents';
import { testPool } from '../support/database.js';

/** The relations a plan reads by scanning them whole. */
const scannedWhole = (plan: { Plan: PlanNode }) => {
  const found: string[] = [];
  const walk = (node: PlanNode) => {
    if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) found.push(node['Relation Name']);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  return found;
};
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/**
 * Statements that run every round must use their indexes on tables PostgreSQL has no statistics
 * for: a new database before its first ANALYZE, or a server with autovacuum off. Temporary tables
 * of the same shape stand in for the real ones (they come first on the search path, and autovacuum
 * never analyses them), filled with enough rows that a scan would cost.
 */
describe('round statements on tables without statistics', () => {
  let pool: pg.Pool;
  let client: pg.PoolClient;
  const explain = async (text: string, values: unknown[] = []) => {
    const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
      values,
    );
    return scannedWhole(rows[0]!['QUERY PLAN'][0]!);
  };

  before(async () => {
    pool = testPool(2);
    client = await pool.connect();
    await client.query(`CREATE TEMP TABLE events (LIKE public.events INCLUDING DEFAULTS INCLUDING INDEXES)`);
    await client.query(
      `INSERT INTO events (global_position, transaction_id, event_id, stream_id, stream_type, stream_version,
                           type, data, occurred_at, prev_hash, hash)
       SELECT g, g::text::xid8, gen_random_uuid(), 'stream-' || g, 'incident', 1, 'IncidentOpened', '{}',
              now(), '', ''
       FROM generate_series(1, 20000) AS g`,
    );
    await client.query(`CREATE TEMP TABLE alert_keys (LIKE public.alert_keys INCLUDING INDEXES)`);
    await client.query(
      `INSERT INTO alert_keys SELECT 'alert-group-' || g, 'key-' || g, 'checkout', 'HighErrorRate'
       FROM generate_series(1, 20000) AS g`,
    );
  });
  after(async () => {
    client.release(true);
    await pool.end();
  });

  it("look for events beyond a subscription's position in the index, not across the log", async () => {
    assert.deepEqual(
      await explain(eventsBeyondStatement({ transactionId: '19990', globalPosition: '19990' })),
      [],
    );
  });

  it("look each repeat's alert key up by its primary key, not across every key stored", async () => {
    const repeats = Array.from({ length: 60 }, (_, i) => ({
      group_stream_id: `alert-group-${i + 1}`,
      alert_key: `key-${i + 1}`,
      minute: '2026-11-29T10:00:00.000Z',
      kind: 'deduplicated',
    }));
    // The statement the function runs (migration 0015), its arguments as parameters, planned as
    // the function plans it: once, generically.
    const { rows } = await client.query<{ body: string }>(
      `SELECT prosrc AS body FROM pg_proc WHERE proname = 'vigil_count_alert_facts'`,
    );
    const statement = /BEGIN([\s\S]*);\s*END/.exec(rows[0]!.body)![1]!;
    const numbered = ['keys_in', 'repeats_in', 'facts_in', 'acted_in', 'opened_in'].reduce(
      (text, name, i) => text.replaceAll(name, `$${i + 1}`),
      statement,
    );
    assert.match(numbered, /FROM alert_keys\s+WHERE/, 'the lookup is in the statement');
    await client.query(`SET plan_cache_mode = force_generic_plan`);
    let scanned: string[];
    try {
      await client.query(`PREPARE count_alert_facts (jsonb, jsonb, jsonb, uuid[], jsonb) AS ${numbered}`);
      scanned = await explain(
        `EXECUTE count_alert_facts ('[]', ${quoteLiteral(JSON.stringify(repeats))}, '[]', '{}', '[]')`,
      );
    } finally {
      await client.query(`RESET plan_cache_mode`);
    }
    assert.ok(!scanned.includes('alert_keys'), `scans ${scanned.join(', ')}`);
  });

  it('look the incident list rows up by their key, also in a plan PostgreSQL keeps while the table grows', async () => {
    // A prepared statement's generic plan is kept until statistics change: one made while the
    // table was small must not scan it once it has grown.
    await client.query(`CREATE TEMP TABLE incidents (LIKE public.incidents INCLUDING INDEXES)`);
    const fill = (rows: number) =>
      client.query(
        `INSERT INTO incidents SELECT gen_random_uuid(), 'checkout', 'SEV2', 'triggered', now(), 1, '{}'
         FROM generate_series(1, ${rows})`,
      );
    await fill(300);
    const ids = (await client.query<{ incident_id: string }>(`SELECT incident_id FROM incidents LIMIT 15`))
      .rows;
    const args = `'{${ids.map((r) => r.incident_id).join(',')}}'::uuid[], '{${ids.map(() => 2).join(',')}}'::int[]`;
    await client.query(`SET plan_cache_mode = force_generic_plan`);
    try {
      await client.query(`PREPARE incidents_behind (uuid[], int[]) AS ${INCIDENTS_BEHIND_STATEMENT}`);
      await client.query(`EXECUTE incidents_behind (${args})`);
      await fill(20_000);
      assert.deepEqual(await explain(`EXECUTE incidents_behind (${args})`), []);
    } finally {
      await client.query(`RESET plan_cache_mode`);
    }
  });
});
