import cron, { type ScheduledTask } from 'node-cron';
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
 * (or killing) the process loses nothing. Openings do not wait for a tick: the starter rides in the
 * worker's subscription round, and first steps it arms fire as soon as that round commits.
 */
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
    this.engine.whenArmed = () => void this.track('firing', () => this.engine.fireArmed());
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

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.engine.whenArmed = null;
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
