import type { Pool } from 'pg';
import type { GroupingRule } from '../domain/grouping.js';

export interface ServiceGroupingRule extends GroupingRule {
  service: string;
  updatedBy: string;
  updatedAt: string;
}

interface Row {
  service: string;
  group_by: string[];
  window_minutes: number | null;
  updated_by: string;
  updated_at: Date;
}

const toRule = (r: Row): ServiceGroupingRule => ({
  service: r.service,
  groupBy: r.group_by,
  windowMinutes: r.window_minutes,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at.toISOString(),
});

const COLUMNS = 'service, group_by, window_minutes, updated_by, updated_at';

/**
 * Grouping rules, one per service. Ingestion needs them on every delivery, so
 * the whole (small) table is cached for a moment; a change made through this
 * process is seen at once, one made through another within `cacheMs`.
 */
export class GroupingRules {
  private cached?: { rules: Map<string, ServiceGroupingRule>; until: number };

  constructor(
    private readonly pool: Pool,
    private readonly cacheMs = 2000,
  ) {}

  async put(service: string, rule: GroupingRule, updatedBy: string): Promise<ServiceGroupingRule> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO grouping_rules (service, group_by, window_minutes, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (service) DO UPDATE SET group_by = EXCLUDED.group_by, window_minutes = EXCLUDED.window_minutes,
         updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING ${COLUMNS}`,
      [service, rule.groupBy, rule.windowMinutes, updatedBy],
    );
    this.cached = undefined;
    return toRule(rows[0]!);
  }

  async get(service: string): Promise<ServiceGroupingRule | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM grouping_rules WHERE service = $1`, [
      service,
    ]);
    return rows[0] ? toRule(rows[0]) : null;
  }

  async list(): Promise<ServiceGroupingRule[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM grouping_rules ORDER BY service`);
    return rows.map(toRule);
  }

  /** True when there was a rule to remove. */
  async remove(service: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM grouping_rules WHERE service = $1`, [service]);
    this.cached = undefined;
    return (rowCount ?? 0) > 0;
  }

  /** Every service's rule, by service (cached). */
  async all(): Promise<ReadonlyMap<string, GroupingRule>> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.rules;
    const rules = new Map((await this.list()).map((r) => [r.service, r]));
    this.cached = { rules, until: Date.now() + this.cacheMs };
    return rules;
  }
}
