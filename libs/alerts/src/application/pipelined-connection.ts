import pg from 'pg';

/** pg's Client has these (its pool uses them for allowExitOnIdle); its types leave them out. */
type Referable = pg.Client & { ref(): void; unref(): void };

interface Open {
  client: Referable;
  /** Work running on it now. */
  users: number;
  /** Closes it once idle for IDLE_MS. */
  idle: NodeJS.Timeout | null;
}

/** An idle connection is closed after this long, as the pool closes its own (pg's default). */
const IDLE_MS = 10_000;

/**
 * One connection in pipeline mode, for statements that commit by themselves: each is sent as soon
 * as it is made, behind those still running, and the database runs them in order without waiting
 * for this process to read each answer. A connection that fails is dropped, and the next use
 * opens another; its statements in flight fail, and their batches retry, reading what is stored.
 */
export class PipelinedConnection {
  private open: Promise<Open | null> | null = null;
  private closed = false;

  constructor(private readonly options: pg.ClientConfig) {}

  /**
   * Runs `work` on the connection (opened if need be); undefined, without running it, when the
   * connection cannot be opened now. While no work runs, the connection does not keep the process
   * alive, as a pool's idle connections do not.
   */
  async use<T>(work: (client: pg.Client) => Promise<T>): Promise<T | undefined> {
    const open = await this.opened();
    if (open === null) return undefined;
    if (open.idle) clearTimeout(open.idle);
    open.idle = null;
    if (open.users++ === 0) open.client.ref();
    try {
      return await work(open.client);
    } finally {
      if (--open.users === 0) {
        open.client.unref();
        open.idle = setTimeout(() => this.drop(open), IDLE_MS).unref();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const open = await this.open;
    this.open = null;
    await open?.client.end().catch(() => undefined);
  }

  /** Closes an idle connection; the next use opens another. */
  private drop(open: Open) {
    if (open.users > 0) return;
    void this.open?.then((current) => {
      if (current !== open) return;
      this.open = null;
      void open.client.end().catch(() => undefined);
    });
  }

  private opened(): Promise<Open | null> {
    if (this.closed) return Promise.resolve(null);
    if (this.open === null) {
      const client = new pg.Client({ ...this.options, pipeline: true, keepAlive: true });
      const opening: Promise<Open | null> = client.connect().then(
        () => ({ client: client as Referable, users: 0, idle: null }),
        () => {
          drop();
          return null;
        },
      );
      const drop = () => {
        if (this.open === opening) this.open = null;
        void client.end().catch(() => undefined);
      };
      client.on('error', drop);
      client.on('end', drop);
      this.open = opening;
    }
    return this.open;
  }
}
