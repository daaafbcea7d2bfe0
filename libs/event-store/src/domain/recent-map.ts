/**
 * A bounded map that keeps what was used lately, for caches on hot paths. Entries live in two
 * generations: new and touched ones go in the young one; when it is half the capacity full, the
 * old one is dropped and the young one becomes old. Reading an old entry moves it to the young
 * one. So an entry written or read within the last capacity / 2 insertions is kept, at most
 * `capacity` are held, and a hit in the young generation costs one lookup: nothing is reordered
 * on every read, as a strict least-recently-used list would (measured about four times slower
 * for the ingestion caches).
 */
export class RecentMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  /** The value under `key`, kept a while longer. */
  get(key: string): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.keep(key, old);
    }
    return old;
  }

  /** The value under `key`, without keeping it longer. */
  peek(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: string, value: V): void {
    this.old.delete(key);
    this.keep(key, value);
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private keep(key: string, value: V) {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
