import type { UpcasterChain } from '../domain/upcasting.js';
import type { LogPosition, RecordedEvent } from '../domain/types.js';

/**
 * Times come as whole epoch milliseconds: parsing timestamptz text in JavaScript
 * costs more than the rest of a row, and events carry millisecond times anyway.
 */
const DIGITS = /^[0-9]+$/;

/** A log position as two SQL literals, checked to be numbers first (they are written into statements). */
export const positionLiterals = (at: LogPosition): [transactionId: string, globalPosition: string] => {
  if (!DIGITS.test(at.transactionId) || !DIGITS.test(at.globalPosition)) {
    throw new Error(`not a log position: ${at.transactionId}/${at.globalPosition}`);
  }
  return [`'${at.transactionId}'::xid8`, `${at.globalPosition}::bigint`];
};

/**
 * Text as a SQL string literal, exactly as pg's `escapeLiteral` writes it (quotes doubled, and with
 * a backslash, the E'' form with backslashes doubled), but by two native replaces instead of a
 * loop over the characters: ten times as fast on the kilobytes of JSON written into a round.
 */
export const quoteLiteral = (text: string): string => {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
};

export const EVENT_COLUMNS = `global_position, transaction_id, event_id, stream_id, stream_type, stream_version,
  type, schema_version, data, metadata,
  floor(extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_ms,
  floor(extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms, prev_hash, hash`;

export interface EventRow {
  global_position: string;
  transaction_id: string;
  event_id: string;
  stream_id: string;
  stream_type: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: Record<string, unknown>;
  occurred_ms: number;
  recorded_ms: number;
  prev_hash: string;
  hash: string;
}

export const toRecordedEvent = (row: EventRow, upcasters: UpcasterChain): RecordedEvent => {
  const lifted = upcasters.upcast(row.type, row.schema_version, row.data);
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    streamVersion: row.stream_version,
    type: row.type,
    schemaVersion: lifted.version,
    storedSchemaVersion: row.schema_version,
    data: lifted.data,
    metadata: row.metadata,
    occurredAt: new Date(row.occurred_ms).toISOString(),
    recordedAt: new Date(row.recorded_ms).toISOString(),
    position: { transactionId: row.transaction_id, globalPosition: row.global_position },
    prevHash: row.prev_hash,
    hash: row.hash,
  };
};
