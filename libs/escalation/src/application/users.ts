import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { EscalationError } from '../domain/escalation-errors.js';
import type { User } from '../domain/user.js';
import { isValidTimeZone } from '../domain/zone.js';

/** A Vigil user as the API shows them. */
export interface UserView {
  id: string;
  name: string;
  email: string | null;
  slackUserId: string | null;
  timeZone: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UserInput {
  name: string;
  email?: string | null;
  slackUserId?: string | null;
  timeZone?: string | null;
}

interface Row {
  id: string;
  name: string;
  email: string | null;
  slack_user_id: string | null;
  time_zone: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, email, slack_user_id, time_zone, created_at, updated_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const UNIQUE_VIOLATION = '23505';

const toView = (r: Row): UserView => ({
  id: r.id,
  name: r.name,
  email: r.email,
  slackUserId: r.slack_user_id,
  timeZone: r.time_zone,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** The domain's view of a user: what paging needs. */
export const toUser = (u: UserView): User => ({
  id: u.id,
  name: u.name,
  ...(u.slackUserId ? { slackUserId: u.slackUserId } : {}),
  ...(u.email ? { email: u.email } : {}),
  ...(u.timeZone ? { timeZone: u.timeZone } : {}),
});

export const isUserId = (id: string): boolean => UUID.test(id);

const check = (input: Partial<UserInput>): void => {
  const problems: string[] = [];
  if (
    input.name !== undefined &&
    (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 200)
  ) {
    problems.push('name must be 1 to 200 characters');
  }
  if (input.email != null && (!EMAIL.test(input.email) || input.email.length > 320)) {
    problems.push('email must be an e-mail address');
  }
  if (input.slackUserId != null && !SLACK_USER.test(input.slackUserId)) {
    problems.push('slackUserId must be a Slack user id such as U012AB3CD');
  }
  if (input.timeZone != null && !isValidTimeZone(input.timeZone)) {
    problems.push('timeZone must be an IANA time zone such as Europe/London');
  }
  if (problems.length > 0) throw new EscalationError('InvalidUser', problems.join('; '));
};

const slackTaken = (error: unknown, slackUserId: string | null | undefined) => {
  if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
    return new EscalationError(
      'SlackUserTaken',
      `Slack user ${slackUserId} already belongs to another Vigil user`,
    );
  }
  return error;
};

/**
 * Vigil's users: the people schedules and policies name, with the Slack user id that reaches them.
 * Configuration, kept as rows; what a page used is copied into its event.
 */
export class Users {
  constructor(private readonly pool: Pool) {}

  async create(input: UserInput): Promise<UserView> {
    check(input);
    try {
      const { rows } = await this.pool.query<Row>(
        `INSERT INTO users (id, name, email, slack_user_id, time_zone) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          input.name.trim(),
          input.email ?? null,
          input.slackUserId ?? null,
          input.timeZone ?? null,
        ],
      );
      return toView(rows[0]!);
    } catch (error) {
      throw slackTaken(error, input.slackUserId);
    }
  }

  async get(id: string): Promise<UserView | null> {
    if (!isUserId(id)) return null;
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** The Vigil user a Slack user id belongs to, or null: how Slack actors become Vigil users. */
  async bySlackId(slackUserId: string): Promise<UserView | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM users WHERE slack_user_id = $1`, [
      slackUserId,
    ]);
    return rows[0] ? toView(rows[0]) : null;
  }

  async list(): Promise<UserView[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM users ORDER BY name, id`);
    return rows.map(toView);
  }

  /** Changes the given fields; null clears an optional one. */
  async update(id: string, patch: Partial<UserInput>): Promise<UserView> {
    check(patch);
    const sets: string[] = [];
    const values: unknown[] = [id];
    const set = (column: string, value: unknown) => sets.push(`${column} = $${values.push(value)}`);
    if (patch.name !== undefined) set('name', patch.name.trim());
    if (patch.email !== undefined) set('email', patch.email);
    if (patch.slackUserId !== undefined) set('slack_user_id', patch.slackUserId);
    if (patch.timeZone !== undefined) set('time_zone', patch.timeZone);
    if (!isUserId(id)) throw new EscalationError('UserNotFound', `User ${id} does not exist`);
    try {
      const { rows } = await this.pool.query<Row>(
        `UPDATE users SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
        values,
      );
      if (!rows[0]) throw new EscalationError('UserNotFound', `User ${id} does not exist`);
      return toView(rows[0]);
    } catch (error) {
      throw slackTaken(error, patch.slackUserId);
    }
  }

  /** The users among `ids` that exist, by id (ids that are not user ids are simply absent). */
  async byIds(ids: Iterable<string>, db: Pool | PoolClient = this.pool): Promise<Map<string, User>> {
    const wanted = [...new Set(ids)].filter(isUserId);
    if (wanted.length === 0) return new Map();
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM users WHERE id = ANY($1::uuid[])`, [wanted]);
    return new Map(rows.map((r) => [r.id, toUser(toView(r))]));
  }

  /** Refuses when any of `ids` names no user. */
  async assertExist(ids: Iterable<string>): Promise<void> {
    const wanted = [...new Set(ids)];
    const found = await this.byIds(wanted);
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new EscalationError(
        'UnknownUsers',
        `No such user: ${missing.join(', ')} (create users with POST /v1/users)`,
      );
    }
  }
}
