import cron, { type ScheduledTask } from 'node-cron';
import { atOrAfter, type LogPosition, type RecordedEvent } from '#vigil/event-store';
import { INCIDENT_STREAM_TYPE } from '#vigil/incidents';
import type { EscalationEngine } from './escalation-engine.js';

export interface EscalationWorkerOptions {
  /** node-cron expression of the tick that fires due steps: every second. */
  tick?: string;
  /** node-cron expression of the auditor: every 15 seconds. */
  audit?: string;
  onError?: (message: string, error: unknown) => void;
}

/**
 * The worker role's clocks: a node-cron tick every second (take in openings, fire due steps) and
 * the auditor every 15 seconds. They only find work; what is due lives in PostgreSQL, so stopping
 * (or killing) the process loses nothing. An opening committed in this process fires level 1 at once
 * instead of waiting for the next tick.
 */
/** Where the last incident opening or reopening among `events` stands in the log; null: none. */
export const latestOpening = (events: readonly RecordedEvent[]): LogPosition | null =>
  events.findLast(
    (e) =>
      e.streamType === INCIDENT_STREAM_TYPE && (e.type === 'IncidentOpened' || e.type === 'IncidentReopened'),
  )?.position ?? null;

/** Between passes that chase openings just committed. */
const CHASE_PAUSE_MS = 10;

export class EscalationWorker {
  private tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private started = false;
  private auditing = false;

  constructor(
    private readonly engine: EscalationEngine,
    private readonly options: EscalationWorkerOptions = {},
  ) {}

  get isRunning(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    // Overlaps are handled here rather than by node-cron's noOverlap, which warns on the console each
    // time: ticks queue behind one another (a waiting one is shared), a running audit skips the next.
    const options = { suppressMissedWarning: true };
    this.tasks = [
      cron.schedule(
        this.options.tick ?? '* * * * * *',
        () => this.track('tick', () => this.engine.tick()),
        options,
      ),
      cron.schedule(
        this.options.audit ?? '*/15 * * * * *',
        () => (this.auditing ? undefined : this.track('audit', () => this.audit())),
        options,
      ),
    ];
    // After a restart, whatever fell due while the process was down fires now, not a second later.
    void this.track('tick', () => this.engine.tick());
  }

  /**
   * Wakes the tick for openings and reopenings this process just committed, until the starter has
   * taken them in: a subscription sees an event only once every transaction older than its own has
   * ended, which under load can be a few milliseconds after it committed.
   */
  onCommitted = (events: readonly RecordedEvent[]): void => {
    const opening = latestOpening(events);
    if (opening) this.chase(opening);
  };

  /** Ticks until the starter has taken in the log up to `position`, where an opening was committed. */
  chase(position: LogPosition): void {
    if (!this.started) return;
    // One loop for every opening waiting, however many arrive: it chases the newest of them.
    if (!this.wanted || atOrAfter(position, this.wanted)) this.wanted = position;
    if (!this.chasing) {
      this.chasing = true;
      void this.track('tick', () => this.tickUntilTakenIn()).finally(() => {
        this.chasing = false;
      });
    }
  }

  private wanted: LogPosition | null = null;
  private chasing = false;

  private async tickUntilTakenIn(): Promise<void> {
    for (let attempt = 0; attempt < 40 && this.started; attempt++) {
      // A short pause lets openings that arrive together share one pass instead of a pass each.
      await new Promise((resolve) => setTimeout(resolve, CHASE_PAUSE_MS));
      const wanted = this.wanted;
      if (!wanted) return;
      await this.engine.tick({ chase: true });
      if (await this.engine.hasTakenIn(wanted)) {
        // Openings that came while this pass ran are chased on; none: done.
        if (this.wanted === wanted) {
          this.wanted = null;
          return;
        }
        attempt = -1;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 25 - CHASE_PAUSE_MS));
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const task of this.tasks) await task.destroy();
    this.tasks = [];
    await Promise.allSettled([...this.running]);
  }

  private async audit(): Promise<void> {
    this.auditing = true;
    try {
      await this.engine.audit();
    } finally {
      this.auditing = false;
    }
  }

  /** Runs `work` unless stopped: node-cron may still call a task a moment after it was destroyed. */
  private track(what: string, work: () => Promise<unknown>): Promise<unknown> {
    if (!this.started) return Promise.resolve();
    const run = work().catch((error: unknown) => this.options.onError?.(`escalation ${what} failed`, error));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }
}
