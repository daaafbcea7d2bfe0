/** Who caused an event, and through which door it came in. */
export interface EventMetadata {
  actor?: { kind: string; id: string; name?: string };
  source?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
}

/** An event about to be appended: the domain's `{ type, data }` plus envelope facts. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata?: EventMetadata;
  /** ISO-8601; when the fact happened. Defaults to the append time. */
  occurredAt?: string;
  /** Defaults to the store's current schema version for this type. */
  schemaVersion?: number;
  eventId?: string;
}

/**
 * A position in the subscription order: the appending transaction's id, then the
 * global position. Both are 64-bit, kept as decimal strings.
 */
export interface LogPosition {
  transactionId: string;
  globalPosition: string;
}

/** A read of the log in subscription order. */
export interface LogRead {
  /** The events read (those of the stream types asked for). */
  events: RecordedEvent[];
  /** The last event looked at, wanted or not: the next read starts after it. Null: none was. */
  end: LogPosition | null;
  /** How many events of the log were looked at. */
  scanned: number;
}

export const START_OF_LOG: LogPosition = { transactionId: '0', globalPosition: '0' };

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  eventId: string;
  streamId: string;
  streamType: string;
  streamVersion: number;
  type: Type;
  /** The version of `data` after upcasting (the current one). */
  schemaVersion: number;
  /** The version the event was written with. */
  storedSchemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  occurredAt: string;
  recordedAt: string;
  position: LogPosition;
  prevHash: string;
  hash: string;
}

/** One stream's part of an append. `expectedVersion` is the stream's current version (0: new stream). */
export interface AppendRequest {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  events: NewEvent[];
}

export interface AppendResult {
  streamId: string;
  fromVersion: number;
  toVersion: number;
  events: RecordedEvent[];
}
