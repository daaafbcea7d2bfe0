import { RecentMap } from '../domain/recent-map.js';

/** Where folded states are read from and kept: a FoldedStateCache, or a StateLayer over one. */
export interface StateMemory<S> {
  get(streamId: string): { version: number; state: S } | undefined;
  set(streamId: string, version: number, state: S): void;
}

/**
 * The state of streams folded up to a version, kept in memory (what was used lately stays; see
 * RecentMap). Events never change, so a state at a version stays true; a reader takes it and
 * reads only the events after that version. Put a state here only once the events it folds are
 * committed.
 */
export class FoldedStateCache<S> implements StateMemory<S> {
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

/**
 * States kept apart, over `below`: those of a write not yet committed, for a reader that may
 * build on them only if the write commits. Reading gives the later of the two states of a stream.
 * Nothing kept here reaches `below`.
 */
export class StateLayer<S> implements StateMemory<S> {
  private readonly own = new Map<string, { version: number; state: S }>();

  constructor(private readonly below: StateMemory<S>) {}

  get(streamId: string): { version: number; state: S } | undefined {
    const own = this.own.get(streamId);
    const below = this.below.get(streamId);
    return own && (!below || own.version >= below.version) ? own : below;
  }

  set(streamId: string, version: number, state: S): void {
    const current = this.own.get(streamId);
    if (current && current.version > version) return;
    this.own.set(streamId, { version, state });
  }
}
