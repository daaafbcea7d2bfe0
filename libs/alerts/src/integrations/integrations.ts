import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { newId } from '#vigil/event-store';
import { ALERT_SOURCES, type AlertSource } from '../domain/normalised-alert.js';

export const INTEGRATION_TYPES = ALERT_SOURCES;
export type IntegrationType = AlertSource;

export interface Integration {
  id: string;
  name: string;
  service: string;
  type: IntegrationType;
  keyPrefix: string;
  autoResolve: boolean;
  createdAt: string;
  rotatedAt: string | null;
  disabledAt: string | null;
  /** Whether requests must carry an HMAC signature (Grafana); the secret itself is never returned. */
  hasSecret: boolean;
  /** SNS topics this integration takes messages from (CloudWatch); any other topic is refused. */
  snsTopicArns: string[];
}

/** What a receiver needs beyond the integration: the secret its requests are signed with, if any. */
export interface Receiver {
  integration: Integration;
  hmacSecret: string | null;
}

interface Row {
  id: string;
  name: string;
  service: string;
  type: IntegrationType;
  key_prefix: string;
  auto_resolve: boolean;
  created_at: Date;
  rotated_at: Date | null;
  disabled_at: Date | null;
  has_secret: boolean;
  sns_topic_arns: string[];
}

const COLUMNS =
  'id, name, service, type, key_prefix, auto_resolve, created_at, rotated_at, disabled_at, ' +
  '(hmac_secret IS NOT NULL) AS has_secret, sns_topic_arns';

const toIntegration = (r: Row): Integration => ({
  id: r.id,
  name: r.name,
  service: r.service,
  type: r.type,
  keyPrefix: r.key_prefix,
  autoResolve: r.auto_resolve,
  createdAt: r.created_at.toISOString(),
  rotatedAt: r.rotated_at?.toISOString() ?? null,
  disabledAt: r.disabled_at?.toISOString() ?? null,
  hasSecret: r.has_secret,
  snsTopicArns: r.sns_topic_arns,
});

/** 32 lowercase hex characters, the length PagerDuty clients check a routing key for. */
const newKey = () => randomBytes(16).toString('hex');
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Integrations: an alert source attached to a service, reached by its secret
 * key. Only the key's hash is stored; active keys are cached briefly, since
 * every alert looks one up.
 *
 * The HMAC secret is stored as given, because verifying a signature needs the
 * key itself (a hash of it would not do). It stays out of `Integration`, so no
 * answer or log that carries an integration can carry it. Encrypting it at
 * rest is not done yet.
 */
export class Integrations {
  private readonly cache = new Map<string, { receiver: Receiver | null; until: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly cacheMs = 5000,
  ) {}

  async create(input: {
    name: string;
    service: string;
    type: IntegrationType;
    autoResolve?: boolean;
    secret?: string | null;
    snsTopicArns?: string[];
  }) {
    const key = newKey();
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO integrations
         (id, name, service, type, key_hash, key_prefix, auto_resolve, hmac_secret, sns_topic_arns)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [
        newId(),
        input.name,
        input.service,
        input.type,
        hashKey(key),
        key.slice(0, 6),
        input.autoResolve ?? true,
        input.secret ?? null,
        input.snsTopicArns ?? [],
      ],
    );
    return { integration: toIntegration(rows[0]!), key };
  }

  async list(): Promise<Integration[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM integrations ORDER BY created_at, id`,
    );
    return rows.map(toIntegration);
  }

  async get(id: string): Promise<Integration | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM integrations WHERE id = $1`, [id]);
    return rows[0] ? toIntegration(rows[0]) : null;
  }

  /** The enabled integration a key belongs to, or null (unknown, disabled or malformed alike). */
  async byKey(key: string): Promise<Integration | null> {
    return (await this.receiverByKey(key))?.integration ?? null;
  }

  /** As `byKey`, with the secret a receiver checks signatures with. */
  async receiverByKey(key: string): Promise<Receiver | null> {
    if (!/^[0-9a-f]{32}$/.test(key)) return null;
    // Cached by the key itself, which a request brings anyway: a hit costs no hashing.
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.receiver;
    const { rows } = await this.pool.query<Row & { hmac_secret: string | null }>(
      `SELECT ${COLUMNS}, hmac_secret FROM integrations WHERE key_hash = $1 AND disabled_at IS NULL`,
      [hashKey(key)],
    );
    const receiver = rows[0]
      ? { integration: toIntegration(rows[0]), hmacSecret: rows[0].hmac_secret }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { receiver, until: Date.now() + this.cacheMs });
    return receiver;
  }

  /** A new key; the old one stops working at once. */
  async rotate(id: string): Promise<{ integration: Integration; key: string } | null> {
    const key = newKey();
    const { rows } = await this.pool.query<Row>(
      `UPDATE integrations SET key_hash = $2, key_prefix = $3, rotated_at = now()
       WHERE id = $1 AND disabled_at IS NULL RETURNING ${COLUMNS}`,
      [id, hashKey(key), key.slice(0, 6)],
    );
    this.cache.clear();
    return rows[0] ? { integration: toIntegration(rows[0]), key } : null;
  }

  /** `secret: null` removes the secret; an absent field is left as it is. */
  async update(
    id: string,
    changes: {
      name?: string;
      autoResolve?: boolean;
      disabled?: boolean;
      secret?: string | null;
      snsTopicArns?: string[];
    },
  ) {
    const { rows } = await this.pool.query<Row>(
      `UPDATE integrations SET
         name = coalesce($2, name),
         auto_resolve = coalesce($3, auto_resolve),
         disabled_at = CASE WHEN $4::boolean IS NULL THEN disabled_at
                            WHEN $4 THEN coalesce(disabled_at, now()) ELSE NULL END,
         hmac_secret = CASE WHEN $5::boolean THEN $6::text ELSE hmac_secret END,
         sns_topic_arns = coalesce($7::text[], sns_topic_arns)
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        changes.name ?? null,
        changes.autoResolve ?? null,
        changes.disabled ?? null,
        changes.secret !== undefined,
        changes.secret ?? null,
        changes.snsTopicArns ?? null,
      ],
    );
    this.cache.clear();
    return rows[0] ? toIntegration(rows[0]) : null;
  }
}

export const isIntegrationType = (value: unknown): value is IntegrationType =>
  typeof value === 'string' && (INTEGRATION_TYPES as readonly string[]).includes(value);
