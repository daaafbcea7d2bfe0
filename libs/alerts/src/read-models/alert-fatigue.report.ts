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
 * someone did, with the rules that made the most noise.
 */
export const alertFatigueReport = async (pool: Pool, q: AlertFatigueQuery) => {
  const { rows } = await pool.query<RuleRow>(
    `WITH facts AS (
       SELECT service, rule,
              count(*) FILTER (WHERE kind = 'received')::int     AS received,
              count(*) FILTER (WHERE kind = 'deduplicated')::int AS deduplicated,
              count(*) FILTER (WHERE kind = 'suppressed')::int   AS suppressed,
              count(*) FILTER (WHERE kind = 'flapping')::int     AS flapping,
              count(*) FILTER (WHERE kind = 'opened')::int       AS opened
       FROM alert_facts
       WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::text IS NULL OR service = $3)
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
