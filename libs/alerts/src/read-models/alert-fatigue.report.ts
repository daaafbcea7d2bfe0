import type { Pool } from 'pg';

export interface AlertFatigueQuery {
  from: string;
  to: string;
  service?: string;
  limit: number;
}

interface RuleRow {
  service: string;
  rule: string;
  received: number;
  deduplicated: number;
  suppressed: number;
  flapping: number;
  opened: number;
  actionable: number;
  non_actionable: number;
}

/**
 * The alert-fatigue ratio: alert-opened incidents nobody acted on ÷ those
 * someone did, with the rules that made the most noise. Alert counts are kept
 * per minute: a range that starts or ends inside a minute counts that whole
 * minute; incidents are counted by their exact opening time.
 */
export const alertFatigueReport = async (pool: Pool, q: AlertFatigueQuery) => {
  const { rows } = await pool.query<RuleRow>(
    `WITH facts AS (
       SELECT service, rule,
              coalesce(sum(count) FILTER (WHERE kind = 'received'), 0)::int     AS received,
              coalesce(sum(count) FILTER (WHERE kind = 'deduplicated'), 0)::int AS deduplicated,
              coalesce(sum(count) FILTER (WHERE kind = 'suppressed'), 0)::int   AS suppressed,
              coalesce(sum(count) FILTER (WHERE kind = 'flapping'), 0)::int     AS flapping,
              coalesce(sum(count) FILTER (WHERE kind = 'opened'), 0)::int       AS opened
       FROM alert_fact_counts
       WHERE minute >= date_trunc('minute', $1::timestamptz) AND minute < $2 AND ($3::text IS NULL OR service = $3)
       GROUP BY service, rule
     ), incidents AS (
       SELECT service, rule,
              count(*) FILTER (WHERE actionable)::int     AS actionable,
              count(*) FILTER (WHERE NOT actionable)::int AS non_actionable
       FROM alert_incidents
       WHERE opened_at >= $1 AND opened_at < $2 AND ($3::text IS NULL OR service = $3)
       GROUP BY service, rule
     )
     SELECT f.service, f.rule, f.received, f.deduplicated, f.suppressed, f.flapping, f.opened,
            coalesce(i.actionable, 0) AS actionable, coalesce(i.non_actionable, 0) AS non_actionable
     FROM facts f LEFT JOIN incidents i USING (service, rule)
     ORDER BY f.received DESC, f.service, f.rule`,
    [q.from, q.to, q.service ?? null],
  );
  const sum = (k: keyof RuleRow) => rows.reduce((n, r) => n + (r[k] as number), 0);
  const actionable = sum('actionable');
  const nonActionable = sum('non_actionable');
  return {
    from: q.from,
    to: q.to,
    service: q.service ?? null,
    alerts: {
      received: sum('received'),
      deduplicated: sum('deduplicated'),
      suppressed: sum('suppressed'),
      flapping: sum('flapping'),
      openedIncidents: sum('opened'),
    },
    incidents: { actionable, nonActionable },
    /** Non-actionable ÷ actionable; null when no alert-opened incident was acted on. */
    alertFatigueRatio: actionable === 0 ? null : Math.round((nonActionable / actionable) * 1000) / 1000,
    noisiestRules: rows.slice(0, q.limit).map((r) => ({
      service: r.service,
      rule: r.rule,
      received: r.received,
      deduplicated: r.deduplicated,
      suppressed: r.suppressed,
      flapping: r.flapping,
      openedIncidents: r.opened,
      actionable: r.actionable,
      nonActionable: r.non_actionable,
    })),
  };
};
