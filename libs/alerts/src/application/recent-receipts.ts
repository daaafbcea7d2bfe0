import { RecentMap } from '#vigil/event-store';

/**
 * The receipts this process saw committed, with the answer each one got (what
 * was used lately stays; see RecentMap). A payload sent again (Alertmanager
 * re-sends a whole group every group_interval, an HA pair sends everything
 * twice) is answered from here without touching the database. Only committed
 * receipts go in, and a committed receipt stays true, so the answer is the one
 * the database would give.
 */
export class RecentReceipts {
  private readonly entries: RecentMap<{ response: unknown }>;

  constructor(capacity = 50_000) {
    this.entries = new RecentMap(capacity);
  }

  /** The first answer to this payload, if this process saw it committed. */
  answer(key: string): { response: unknown } | undefined {
    return this.entries.get(key);
  }

  /** Call only once the receipt is committed. */
  remember(key: string, response: unknown): void {
    this.entries.set(key, { response });
  }
}
