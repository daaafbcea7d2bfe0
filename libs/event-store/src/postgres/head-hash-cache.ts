import { RecentMap } from '../domain/recent-map.js';

/**
 * Remembers the hash of (stream, version) pairs this process has seen. An event
 * never changes, so an entry is either right or names a version that was rolled
 * back; the append statement re-checks the hash in the database, so a wrong
 * entry costs a retry, never a broken chain.
 */
export class HeadHashCache {
  private readonly entries: RecentMap<string>;

  constructor(capacity = 50_000) {
    this.entries = new RecentMap(capacity);
  }

  get(streamId: string, version: number): string | undefined {
    return this.entries.get(`${version}:${streamId}`);
  }

  set(streamId: string, version: number, hash: string): void {
    this.entries.set(`${version}:${streamId}`, hash);
  }

  forget(streamId: string, version: number): void {
    this.entries.delete(`${version}:${streamId}`);
  }
}
