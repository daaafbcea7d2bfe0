import type { App, Receiver } from '@slack/bolt';

/** What Bolt's ack() said, to be sent as the HTTP response. */
export type AckResult =
  | { acked: true; body: string | Record<string, unknown> | undefined }
  /** No ack within the time: Vigil answers an empty 200 itself, so Slack does not time out. */
  | { acked: false };

export interface DispatchOptions {
  retryNum?: number;
  retryReason?: string;
  /** Resolves true once the request is known to be neither a replay nor a retry already taken. */
  admitted: Promise<boolean>;
  /** How long to wait for ack() before answering anyway. */
  ackTimeoutMs: number;
}

/**
 * A Bolt receiver that takes requests from Vigil's own Fastify routes instead of starting a
 * server: the routes verify the request, then hand the parsed body to `dispatch`, which runs
 * Bolt's `processEvent` and resolves as soon as a listener calls `ack()`; the listener goes on
 * after the HTTP response has left (Slack's 3-second rule).
 */
export class VigilReceiver implements Receiver {
  private app: App | undefined;

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  dispatch(body: Record<string, unknown>, options: DispatchOptions): Promise<AckResult> {
    const app = this.app;
    if (app === undefined) throw new Error('VigilReceiver is not attached to a Bolt App');
    return new Promise<AckResult>((resolve) => {
      let settled = false;
      const settle = (result: AckResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => settle({ acked: false }), options.ackTimeoutMs);
      let acked = false;
      const ack = async (response?: string | Record<string, unknown>): Promise<void> => {
        if (acked) return; // a second ack() changes nothing: the response has gone
        acked = true;
        settle({ acked: true, body: response });
      };
      app
        .processEvent({
          body,
          ack,
          ...(options.retryNum === undefined ? {} : { retryNum: options.retryNum }),
          ...(options.retryReason === undefined ? {} : { retryReason: options.retryReason }),
          customProperties: { admitted: options.admitted },
        })
        // Nothing listened (or it failed before ack): answer now rather than at the timeout.
        .then(
          () => settle({ acked: true, body: undefined }),
          () => settle({ acked: true, body: undefined }),
        );
    });
  }
}
