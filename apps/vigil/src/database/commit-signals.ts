import pg from 'pg';
import type { Logger } from 'pino';

/** The PostgreSQL channel on which Vigil processes tell each other that events were committed. */
export const COMMITTED_CHANNEL = 'vigil_committed';

/**
 * Least time between two signals of one process: what commits meanwhile goes in the next. Each
 * signal starts a round of every worker's read models, and rounds of a few events cost far more
 * per event than rounds of many (measured: two processes on two cores took PagerDuty events at
 * about 0.21 of the floor with a signal per commit, 0.30–0.46 when the worker only polled).
 */
export const SIGNAL_GAP_MS = 25;

/**
 * Tells the worker processes on the same database that a process without the worker role
 * committed events (PostgreSQL NOTIFY), so its read models, escalation and Slack delivery look
 * within SIGNAL_GAP_MS instead of at their next poll. Commits made while a signal is sent, or in
 * the gap after it, are told together in the next one.
 */
export class CommitAnnouncer {
  private sending = false;
  private pending = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {}

  announce(): void {
    this.pending = true;
    if (!this.sending) void this.send();
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending) {
        this.pending = false;
        await this.pool.query(`SELECT pg_notify($1, '')`, [COMMITTED_CHANNEL]);
        await new Promise((resolve) => setTimeout(resolve, SIGNAL_GAP_MS));
      }
    } catch (err) {
      // A lost signal delays the workers to their next poll; it loses no event.
      this.log.warn({ err }, 'could not signal a commit to the workers');
    } finally {
      this.sending = false;
    }
  }
}

/**
 * Hears the signals of CommitAnnouncer on a connection of its own (LISTEN holds it), and calls
 * `onSignal` for each. A dropped connection is opened again a second later; meanwhile the polls
 * go on as before.
 */
export class CommitListener {
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly onSignal: () => void,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', () => this.onSignal());
    const reconnect = (err?: unknown) => {
      if (this.closed || this.client !== client) return;
      this.client = null;
      if (err) this.log.warn({ err }, 'commit signals lost their connection; listening again in 1 s');
      void client.end().catch(() => undefined);
      this.retry = setTimeout(() => void this.start().catch((e: unknown) => reconnect(e)), 1000);
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${COMMITTED_CHANNEL}`);
    } catch (err) {
      reconnect(err);
      return;
    }
    // Whatever was committed while not listening is found now.
    this.onSignal();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
