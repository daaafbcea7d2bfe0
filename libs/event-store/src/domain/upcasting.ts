/** Lifts one event type's data from schema version `from` to `from + 1`. Pure. */
export interface Upcaster {
  type: string;
  from: number;
  up: (data: any) => unknown;
}

/**
 * Chains upcasters keyed by (type, fromVersion). Old events are lifted on read,
 * never rewritten; writers always write the latest version.
 */
export class UpcasterChain {
  private readonly byKey = new Map<string, Upcaster>();
  private readonly latest = new Map<string, number>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const u of upcasters) this.register(u);
  }

  register(upcaster: Upcaster): void {
    this.byKey.set(`${upcaster.type}@${upcaster.from}`, upcaster);
    this.latest.set(upcaster.type, Math.max(this.latestVersion(upcaster.type), upcaster.from + 1));
  }

  latestVersion(type: string): number {
    return this.latest.get(type) ?? 1;
  }

  upcast(type: string, version: number, data: unknown): { version: number; data: unknown } {
    if (version >= this.latestVersion(type)) return { version, data }; // the common case: nothing to lift
    let current = data;
    let v = version;
    for (let u = this.byKey.get(`${type}@${v}`); u; u = this.byKey.get(`${type}@${v}`)) {
      current = u.up(current);
      v += 1;
    }
    return { version: v, data: current };
  }
}
