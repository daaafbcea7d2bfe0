import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Random bytes drawn 4 KiB at a time. Asking the system for 16 bytes per id
 * (what `v7()` does) cost a tenth of ingestion's CPU; Node's own `randomUUID`
 * pools its randomness the same way.
 */
const pool = new Uint8Array(4096);
let next = pool.length;
const random16 = () => {
  if (next + 16 > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const bytes = pool.subarray(next, next + 16);
  next += 16;
  return bytes;
};

/** The same monotonic rule as `v7()` without options: within one millisecond the sequence counts up. */
const state = { msecs: -Infinity, seq: 0 };

/** A new time-ordered id (UUID version 7): ids made later in this process sort after earlier ones. */
export const newId = (): string => {
  const random = random16();
  const now = Date.now();
  if (now > state.msecs) {
    state.msecs = now;
    state.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    state.seq = (state.seq + 1) | 0;
    if (state.seq === 0) state.msecs++;
  }
  return v7({ random, msecs: state.msecs, seq: state.seq });
};
