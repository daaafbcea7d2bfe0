import { hash } from 'node:crypto';

/** The predecessor hash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The parts of an event that its hash seals. */
export interface HashedContent {
  eventId: string;
  streamId: string;
  streamType: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  occurredAt: string;
}

/** Object keys as JSON strings, for the short keys that come back in every event. */
const quotedKeys = new Map<string, string>();
const quoted = (key: string) => {
  let json = quotedKeys.get(key);
  if (json === undefined) {
    json = JSON.stringify(key);
    if (key.length <= 64 && quotedKeys.size < 10_000) quotedKeys.set(key, json);
  }
  return json;
};

/**
 * JSON with object keys sorted by UTF-16 code units, as RFC 8785 orders them; for
 * the strings, finite numbers, booleans and nulls of a JSON document, ECMAScript's
 * own number and string serialisation is the one RFC 8785 prescribes. It runs for
 * every event appended, so keys already in order are not sorted again.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return canonicalJson(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ',';
      out += item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Sorted in place by insertion: objects here have a handful of keys, often in order already, and
  // Array.prototype.sort allocates work space on every call (measured: the largest allocator of
  // the ingestion path). `<` and `>` on strings compare UTF-16 code units, as RFC 8785 orders.
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    if (keys[j]! <= key) continue;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined || typeof item === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += `${quoted(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
};

/**
 * hash = sha256(prevHash ‖ canonical JSON of the content). Canonical JSON (RFC 8785)
 * sorts keys, so the hash survives the trip through jsonb, which reorders them.
 */
export const chainHash = (prevHash: string, c: HashedContent): string =>
  chainHashOfJson(prevHash, c, canonicalJson(c.data), canonicalJson(c.metadata));

/**
 * chainHash with the content's data and metadata given as their canonical JSON, for a writer that
 * sends that JSON on as it is rather than serialising them a second time.
 */
export const chainHashOfJson = (
  prevHash: string,
  c: Omit<HashedContent, 'data' | 'metadata'>,
  dataJson: string,
  metadataJson: string,
): string =>
  hash(
    'sha256',
    // canonicalJson of the whole content, its keys written out in sorted order.
    `${prevHash}\n{"data":${dataJson},"eventId":${JSON.stringify(c.eventId)},` +
      `"metadata":${metadataJson},"occurredAt":${JSON.stringify(c.occurredAt)},` +
      `"schemaVersion":${c.schemaVersion},"streamId":${JSON.stringify(c.streamId)},` +
      `"streamType":${JSON.stringify(c.streamType)},"streamVersion":${c.streamVersion},"type":${JSON.stringify(c.type)}}`,
    'hex',
  );

export type ChainVerdict =
  | { valid: true; events: number; headHash: string }
  | { valid: false; events: number; brokenAtVersion: number; reason: string };

/** Re-derives every link of a stream, as stored (before upcasting). */
export const verifyChain = (
  events: ReadonlyArray<HashedContent & { prevHash: string; hash: string }>,
): ChainVerdict => {
  let expectedPrev = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    if (event.streamVersion !== index + 1) {
      return { valid: false, events: events.length, brokenAtVersion: index + 1, reason: 'version missing' };
    }
    if (event.prevHash !== expectedPrev) {
      return {
        valid: false,
        events: events.length,
        brokenAtVersion: event.streamVersion,
        reason: 'link to the previous event does not match',
      };
    }
    if (chainHash(event.prevHash, event) !== event.hash) {
      return {
        valid: false,
        events: events.length,
        brokenAtVersion: event.streamVersion,
        reason: 'content does not match its hash',
      };
    }
    expectedPrev = event.hash;
  }
  return { valid: true, events: events.length, headHash: expectedPrev };
};
