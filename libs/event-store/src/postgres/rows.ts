import type { UpcasterChain } from '../domain/upcasting.js';
import type { RecordedEvent } from '../domain/types.js';

export const EVENT_COLUMNS = `global_position, transaction_id, event_id, stream_id, stream_type, stream_version,
  type, schema_version, data, metadata, occurred_at, recorded_at, prev_hash, hash`;

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
  occurred_at: Date;
  recorded_at: Date;
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
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    position: { transactionId: row.transaction_id, globalPosition: row.global_position },
    prevHash: row.prev_hash,
    hash: row.hash,
  };
};
