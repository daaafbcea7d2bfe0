import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The alert-fatigue projection's write, as a function. Sent as a statement of its own, it was
 * planned on every round, and its planning cost about half its running (pg_stat_statements under
 * PagerDuty load: 0.8 ms of planning to 1.8 ms of running, each round). PL/pgSQL keeps the plan of
 * the statement inside for the session, so a round plans only the call.
 *
 * Repeats and flaps carry no labels: their service and rule come from the alert's first fact,
 * stored before or in this very batch (then only RETURNING shows it). They come counted by alert,
 * minute and kind, so a key is looked up once however often its alert repeated in the batch, by
 * the primary key: a LIMIT keeps the lookup a subquery, because as a join the planner, which
 * expects a hundred rows of any jsonb_to_recordset, hashes them and scans every key ever stored.
 */
export class AlertFatigueFunction1764300000015 implements MigrationInterface {
  name = 'AlertFatigueFunction1764300000015';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION vigil_count_alert_facts(
        keys_in jsonb, repeats_in jsonb, facts_in jsonb, acted_in uuid[], opened_in jsonb
      ) RETURNS void LANGUAGE plpgsql
      -- Left to choose, PL/pgSQL would plan anew each time: an empty array of acted-on incidents
      -- makes a custom plan look cheaper than the generic one, and it is empty in most rounds.
      SET plan_cache_mode = force_generic_plan
      AS $fn$
      BEGIN
        WITH new_keys AS (
          INSERT INTO alert_keys SELECT * FROM jsonb_populate_recordset(null::alert_keys, keys_in)
          ON CONFLICT DO NOTHING RETURNING *
        ), repeats AS (
          SELECT r.minute, r.kind, r.count, coalesce(k.service, n.service) AS service,
                 coalesce(k.rule, n.rule) AS rule
          FROM jsonb_to_recordset(repeats_in)
            AS r(group_stream_id text, alert_key text, minute timestamptz, kind text, count int)
          LEFT JOIN LATERAL (
            SELECT service, rule FROM alert_keys
            WHERE group_stream_id = r.group_stream_id AND alert_key = r.alert_key LIMIT 1
          ) k ON true
          LEFT JOIN new_keys n USING (group_stream_id, alert_key)
        ), facts AS (
          SELECT minute, service, rule, kind, count
          FROM jsonb_populate_recordset(null::alert_fact_counts, facts_in)
          UNION ALL
          SELECT minute, service, rule, kind, sum(count) FROM repeats WHERE service IS NOT NULL
          GROUP BY 1, 2, 3, 4
          UNION ALL
          SELECT minute, service, rule, 'received', sum(count) FROM repeats WHERE service IS NOT NULL
          GROUP BY 1, 2, 3
        ), counted AS (
          INSERT INTO alert_fact_counts AS c
          SELECT minute, service, rule, kind, sum(count) FROM facts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (minute, service, rule, kind) DO UPDATE SET count = c.count + EXCLUDED.count
        ), opened AS (
          INSERT INTO alert_incidents (incident_id, service, rule, opened_at, actionable)
          SELECT incident_id, service, rule, opened_at, incident_id = ANY(acted_in)
          FROM jsonb_populate_recordset(null::alert_incidents, opened_in)
          ON CONFLICT DO NOTHING
        )
        UPDATE alert_incidents SET actionable = true WHERE incident_id = ANY(acted_in) AND NOT actionable;
      END $fn$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION vigil_count_alert_facts(jsonb, jsonb, jsonb, uuid[], jsonb)`);
  }
}
