/**
 * Lets worker loops sleep until they are woken or a poll interval passes, without losing a wake
 * that came while they were busy. A loop takes a `mark()` before it looks for work and passes it
 * to `sleep()` once it found none: if `wake()` was called in between (say, a commit signal that
 * arrived while the loop's read was already under way), the sleep ends at once and the loop looks
 * again, instead of sleeping out a whole poll with work waiting.
 */
export class Wakeup {
  private wakes = 0;
  private readonly sleepers = new Set<() => void>();

  /** Taken before looking for work; handed to `sleep` afterwards. */
  mark(): number {
    return this.wakes;
  }

  /** Ends every sleep now, and the next sleep of each loop that is busy. */
  wake(): void {
    this.wakes++;
    const sleepers = [...this.sleepers];
    this.sleepers.clear();
    for (const resume of sleepers) resume();
  }

  /** Sleeps `ms`, or until the next wake; not at all if one came since `mark`. */
  sleep(ms: number, mark: number): Promise<void> {
    if (this.wakes !== mark) return Promise.resolve();
    return new Promise((resolve) => {
      const resume = () => {
        clearTimeout(timer);
        this.sleepers.delete(resume);
        resolve();
      };
      const timer = setTimeout(resume, ms);
      this.sleepers.add(resume);
    });
  }
}
