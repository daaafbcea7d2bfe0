import { RecentMap } from '../domain/recent-map.js';

/**
 * The state of streams folded up to a version, kept in memory (what was used lately stays; see
 * RecentMap). Events never change, so a state at a version stays true; a reader takes it and
 * reads only the events after that version. Put a state here only once the events it folds are
 * committed.
 */
export class FoldedStateCache<S> {
  private readonly entries: RecentMap<{ version: number; state: S }>;

  constructor(capacity = 20_000) {
    this.entries = new RecentMap(capacity);
  }

  get(streamId: string): { version: number; state: S } | undefined {
    return this.entries.get(streamId);
  }

  set(streamId: string, version: number, state: S): void {
    const current = this.entries.peek(streamId);
    if (current && current.version > version) return;
    this.entries.set(streamId, { version, state });
  }

  /** Drops the state of `streamId` if it stops before `version`: the stream moved on elsewhere. */
  forgetBehind(streamId: string, version: number): void {
    const current = this.entries.peek(streamId);
    if (current && current.version < version) this.entries.delete(streamId);
  }

  get size(): number {
    return this.entries.size;
  }
}
