import type { Pool } from 'pg';
import { newId } from '#vigil/event-store';
import type { Matcher, Silence } from '../domain/silences.js';

interface Row {
  id: string;
  matchers: Matcher[];
  starts_at: Date;
  ends_at: Date;
  comment: string;
  created_by: string;
}

const toSilence = (r: Row): Silence => ({
  id: r.id,
  matchers: r.matchers,
  startsAt: r.starts_at.toISOString(),
  endsAt: r.ends_at.toISOString(),
  comment: r.comment,
  createdBy: r.created_by,
});

const COLUMNS = 'id, matchers, starts_at, ends_at, comment, created_by';

/**
 * Silences. Ingestion asks for the ones not yet over on every delivery, so they
 * are cached for a moment; a change made through this process is seen at once,
 * one made through another within `cacheMs`.
 */
export class Silences {
  private cached?: { silences: Silence[]; until: number };

  constructor(
    private readonly pool: Pool,
    private readonly cacheMs = 2000,
  ) {}

  async create(input: Omit<Silence, 'id'>): Promise<Silence> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [newId(), JSON.stringify(input.matchers), input.startsAt, input.endsAt, input.comment, input.createdBy],
    );
    this.cached = undefined;
    return toSilence(rows[0]!);
  }

  async list(options: { activeAt?: string } = {}): Promise<Silence[]> {
    const { rows } = options.activeAt
      ? await this.pool.query<Row>(
          `SELECT ${COLUMNS} FROM silences WHERE starts_at <= $1 AND ends_at > $1 ORDER BY starts_at, id`,
          [options.activeAt],
        )
      : await this.pool.query<Row>(`SELECT ${COLUMNS} FROM silences ORDER BY starts_at DESC, id LIMIT 1000`);
    return rows.map(toSilence);
  }

  async get(id: string): Promise<Silence | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM silences WHERE id = $1`, [id]);
    return rows[0] ? toSilence(rows[0]) : null;
  }

  /** Ends a silence now (it stays on record); one already over is left as it was. */
  async expire(id: string, now: string): Promise<Silence | null> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE silences SET ends_at = greatest(starts_at + interval '1 millisecond', $2::timestamptz)
       WHERE id = $1 AND ends_at > $2 RETURNING ${COLUMNS}`,
      [id, now],
    );
    this.cached = undefined;
    return rows[0] ? toSilence(rows[0]) : this.get(id);
  }

  /** Silences that have not ended yet (current and scheduled). */
  async notOver(now: string): Promise<Silence[]> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.silences;
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM silences WHERE ends_at > $1`, [now]);
    this.cached = { silences: rows.map(toSilence), until: Date.now() + this.cacheMs };
    return this.cached.silences;
  }
}
