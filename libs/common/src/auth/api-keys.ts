import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

export const SCOPES = [
  'incidents:read',
  'incidents:write',
  'silences:read',
  'silences:write',
  'metrics:read',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

/** `admin` implies every scope. */
export const grants = (granted: readonly string[], required: string): boolean =>
  granted.includes('admin') || granted.includes(required);

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

interface Row {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}

const toRecord = (r: Row): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/**
 * API keys. The secret is shown once, at creation; only its SHA-256 is stored
 * (a key carries 192 random bits, so a fast hash is enough). Verified keys are
 * cached briefly so a request costs no extra round trip.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly cacheMs = 10_000,
  ) {}

  async create(name: string, scopes: readonly string[]): Promise<{ record: ApiKeyRecord; key: string }> {
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (!name.trim()) throw new Error('an API key needs a name');
    if (scopes.length === 0) throw new Error(`an API key needs at least one scope: ${SCOPES.join(', ')}`);
    if (unknown.length > 0)
      throw new Error(`unknown scope ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
    const key = `vgl_${randomBytes(24).toString('base64url')}`;
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO api_keys (id, name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, name, prefix, scopes, created_at, revoked_at`,
      [randomUUID(), name.trim(), key.slice(0, 8), hashKey(key), [...new Set(scopes)]],
    );
    return { record: toRecord(rows[0]!), key };
  }

  async verify(key: string): Promise<ApiKeyRecord | null> {
    if (!/^vgl_[A-Za-z0-9_-]{32}$/.test(key)) return null;
    const hash = hashKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.record;
    const { rows } = await this.pool.query<Row>(
      `SELECT id, name, prefix, scopes, created_at, revoked_at FROM api_keys
       WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const record = rows[0] ? toRecord(rows[0]) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { record, until: Date.now() + this.cacheMs });
    return record;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT id, name, prefix, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at`,
    );
    return rows.map(toRecord);
  }

  async revoke(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    this.cache.clear();
    return rowCount === 1;
  }
}
