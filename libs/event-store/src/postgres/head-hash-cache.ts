/**
 * Remembers the hash of (stream, version) pairs this process has seen. An event
 * never changes, so an entry is either right or names a version that was rolled
 * back; the append statement re-checks the hash in the database, so a wrong
 * entry costs a retry, never a broken chain.
 */
export class HeadHashCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly capacity = 50_000) {}

  get(streamId: string, version: number): string | undefined {
    return this.entries.get(`${version}:${streamId}`);
  }

  set(streamId: string, version: number, hash: string): void {
    const key = `${version}:${streamId}`;
    this.entries.delete(key);
    this.entries.set(key, hash);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  forget(streamId: string, version: number): void {
    this.entries.delete(`${version}:${streamId}`);
  }
}
