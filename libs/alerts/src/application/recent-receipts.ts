/**
 * The receipts this process saw committed, with the answer each one got (least
 * recently used out first). A payload sent again (Alertmanager re-sends a whole
 * group every group_interval, an HA pair sends everything twice) is answered
 * from here without touching the database. Only committed receipts go in, and
 * a committed receipt stays true, so the answer is the one the database would give.
 */
export class RecentReceipts {
  private readonly entries = new Map<string, unknown>();

  constructor(private readonly capacity = 50_000) {}

  /** The first answer to this payload, if this process saw it committed. */
  answer(key: string): { response: unknown } | undefined {
    if (!this.entries.has(key)) return undefined;
    const response = this.entries.get(key);
    this.entries.delete(key);
    this.entries.set(key, response);
    return { response };
  }

  /** Call only once the receipt is committed. */
  remember(key: string, response: unknown): void {
    this.entries.delete(key);
    this.entries.set(key, response);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
