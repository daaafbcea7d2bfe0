/**
 * The state of streams folded up to a version, kept in memory (least recently
 * used out first). Events never change, so a state at a version stays true; a
 * reader takes it and reads only the events after that version. Put a state
 * here only once the events it folds are committed.
 */
export class FoldedStateCache<S> {
  private readonly entries = new Map<string, { version: number; state: S }>();

  constructor(private readonly capacity = 20_000) {}

  get(streamId: string): { version: number; state: S } | undefined {
    const entry = this.entries.get(streamId);
    if (entry) {
      this.entries.delete(streamId);
      this.entries.set(streamId, entry);
    }
    return entry;
  }

  set(streamId: string, version: number, state: S): void {
    const current = this.entries.get(streamId);
    if (current && current.version > version) return;
    this.entries.delete(streamId);
    this.entries.set(streamId, { version, state });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Drops the state of `streamId` if it stops before `version`: the stream moved on elsewhere. */
  forgetBehind(streamId: string, version: number): void {
    const current = this.entries.get(streamId);
    if (current && current.version < version) this.entries.delete(streamId);
  }

  get size(): number {
    return this.entries.size;
  }
}
