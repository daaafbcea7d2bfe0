import type { Pool } from 'pg';
import type { Incident, IncidentStatus, OpenedIncident, Severity } from '../domain/types.js';
import { incidentListRows, upsertIncidentListStatement } from './incident-list.projection.js';
import { toIncidentView, type IncidentView } from '../application/incident-view.js';

export interface IncidentFilter {
  service?: string;
  status?: IncidentStatus[];
  severity?: Severity[];
  /** Opened at or after. */
  from?: string;
  /** Opened before. */
  to?: string;
  limit: number;
  cursor?: { openedAt: string; id: string };
}

export interface TimelineEntry {
  version: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actor: unknown;
  source: string | null;
  summary: string;
}

export const encodeCursor = (c: { openedAt: string; id: string }): string =>
  Buffer.from(JSON.stringify([c.openedAt, c.id])).toString('base64url');

export const decodeCursor = (raw: string): { openedAt: string; id: string } | undefined => {
  try {
    const [openedAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof openedAt !== 'string' || Number.isNaN(Date.parse(openedAt))) return undefined;
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return { openedAt, id };
  } catch {
    return undefined;
  }
};

/** Reads of the incident read models, and the list row write of a command's result. */
export class IncidentReadModel {
  constructor(private readonly pool: Pool) {}

  /**
   * Writes the list row of an incident a command has just moved to `version`, so whoever sent the
   * command sees the change in the list at once. Only over an older row (see upsertIncidentList):
   * the projection writing the same version later changes nothing.
   */
  async keep(incidentId: string, version: number, state: Incident): Promise<void> {
    const rows = incidentListRows([{ incidentId, version, state }]);
    if (rows.length === 0) return;
    await this.pool.query(upsertIncidentListStatement([JSON.stringify(rows)]));
  }

  async list(filter: IncidentFilter): Promise<{ items: IncidentView[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    if (filter.service) where.push(`service = ${param(filter.service)}`);
    if (filter.status?.length) where.push(`status = ANY(${param(filter.status)}::text[])`);
    if (filter.severity?.length) where.push(`severity = ANY(${param(filter.severity)}::text[])`);
    if (filter.from) where.push(`opened_at >= ${param(filter.from)}::timestamptz`);
    if (filter.to) where.push(`opened_at < ${param(filter.to)}::timestamptz`);
    if (filter.cursor) {
      where.push(
        `(opened_at, incident_id) < (${param(filter.cursor.openedAt)}::timestamptz, ${param(filter.cursor.id)}::uuid)`,
      );
    }
    const { rows } = await this.pool.query<{ state: OpenedIncident; version: number }>(
      `SELECT state, version FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY opened_at DESC, incident_id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toIncidentView(r.state, r.version)),
      nextCursor:
        rows.length > filter.limit && last
          ? encodeCursor({ openedAt: last.state.openedAt, id: last.state.id })
          : null,
    };
  }

  /**
   * The timeline, once the projection has caught up with `atLeastVersion` (the
   * caller's own writes), waiting at most `waitMs` for it.
   */
  async timeline(incidentId: string, atLeastVersion: number, waitMs = 2000): Promise<TimelineEntry[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { rows } = await this.pool.query<{
        stream_version: number;
        type: string;
        occurred_at: Date;
        recorded_at: Date;
        actor: unknown;
        source: string | null;
        summary: string;
      }>(
        `SELECT stream_version, type, occurred_at, recorded_at, actor, source, summary
         FROM incident_timeline WHERE incident_id = $1 ORDER BY stream_version`,
        [incidentId],
      );
      if ((rows.at(-1)?.stream_version ?? 0) >= atLeastVersion || Date.now() >= deadline) {
        return rows.map((r) => ({
          version: r.stream_version,
          type: r.type,
          occurredAt: r.occurred_at.toISOString(),
          recordedAt: r.recorded_at.toISOString(),
          actor: r.actor,
          source: r.source,
          summary: r.summary,
        }));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
