import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import copyStreams from 'pg-copy-streams';
import type { LaterWrites } from './later-writes.js';

type Cell = string | number | boolean | null | undefined | object;

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One value in PostgreSQL's COPY text format: \N for null, objects as JSON, specials escaped. */
const copyValue = (value: Cell): string => {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
};

const UNIQUE_VIOLATION = '23505';

/** Below this many rows one INSERT (one round trip) beats COPY (savepoint, copy, release). */
const COPY_FROM_ROWS = 200;

/**
 * Inserts rows that are normally new (a projection applies each batch once):
 * a few with one INSERT, many with COPY, the fastest way in. Rows that already
 * exist (the same events applied again) are left as they are, so applying a
 * batch twice stays harmless. Must run inside the caller's transaction.
 */
export const insertNewRows = async (
  tx: PoolClient,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
  /** Where a few rows can wait for the round's commit (see LaterWrites); many go by COPY at once. */
  later?: LaterWrites,
): Promise<void> => {
  if (rows.length === 0) return;
  if (rows.length < COPY_FROM_ROWS) return insertIgnoringExisting(tx, table, columns, rows, later);
  const identifiers = columns.map((c) => `"${c}"`).join(', ');
  await tx.query('SAVEPOINT vigil_bulk_insert');
  try {
    const text = rows.map((row) => row.map(copyValue).join('\t')).join('\n') + '\n';
    await pipeline(
      Readable.from([text]),
      tx.query(copyStreams.from(`COPY ${table} (${identifiers}) FROM STDIN`)),
    );
    await tx.query('RELEASE SAVEPOINT vigil_bulk_insert');
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT vigil_bulk_insert');
    await insertIgnoringExisting(tx, table, columns, rows, undefined);
  }
};

/** One INSERT of the rows as a JSON document, skipping those already there. */
const insertIgnoringExisting = async (
  tx: PoolClient,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
  later: LaterWrites | undefined,
) => {
  const identifiers = columns.map((c) => `"${c}"`).join(', ');
  const text = `INSERT INTO ${table} (${identifiers})
     SELECT ${identifiers} FROM jsonb_populate_recordset(null::${table}, $1::jsonb)
     ON CONFLICT DO NOTHING`;
  const values = [
    JSON.stringify(rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])))),
  ];
  if (later) return later.add(text, values);
  await tx.query({
    // Prepared (named after its text): a projection runs it in every batch.
    name: `vigil-insert-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
    text,
    values,
  });
};
