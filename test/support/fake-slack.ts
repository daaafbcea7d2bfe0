import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { signSlackBody } from '#vigil/slack';
import { waitFor } from './wait-for.js';

/** One Web API call the fake answered `ok: true` (or `ok: false` with a Slack error). */
export interface FakeSlackCall {
  method: string;
  args: Record<string, any>;
  token: string | null;
  /** Milliseconds since the epoch. */
  at: number;
  ok: boolean;
  error?: string;
}

/** Every request that reached the fake, including those it failed on purpose with 429 or 500. */
export interface FakeSlackRequest {
  method: string;
  status: number;
  at: number;
}

/** The client's answer to an envelope: `{ envelope_id, payload? }`. */
export interface SocketModeAck {
  envelope_id: string;
  payload?: any;
  at: number;
}

/** Slack's side of Socket Mode: the WebSocket that apps.connections.open hands out. */
export interface FakeSocketMode {
  /** Connections open now (each got a `hello`). */
  readonly connections: number;
  /** Every ack a client sent, in order. */
  acks: SocketModeAck[];
  /** Pushes an envelope to the newest connection and resolves with its ack. */
  push(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<SocketModeAck>;
}

export type FakeSlackFailure = { status: 429; retryAfter: number } | { status: 500 } | { error: string };

/**
 * A stand-in for Slack's Web API on loopback, speaking its wire format: form or JSON bodies in,
 * `{ ok, … }` JSON out, bearer tokens. It keeps messages, channels and topics so chat.update and
 * conversations.invite answer as Slack would, records every call, takes posts to response URLs,
 * and can be told to answer the next calls with 429 + Retry-After or 500. apps.connections.open
 * (with the app token) hands out a WebSocket on the same port that speaks Socket Mode: `hello` on
 * connect, then the envelopes a test pushes, whose acks it records.
 */
export interface FakeSlack {
  origin: string;
  /** For SLACK_API_URL: `http://127.0.0.1:<port>/api/`. */
  apiUrl: string;
  token: string;
  /** The app-level token apps.connections.open takes (Socket Mode). */
  appToken: string;
  socketMode: FakeSocketMode;
  calls: FakeSlackCall[];
  requests: FakeSlackRequest[];
  /** Bodies posted to response URLs, by the id in the URL. */
  responses: Array<{ id: string; body: any; at: number }>;
  messages: Map<string, { channel: string; ts: string; text: string; blocks: any[] }>;
  channels: Map<string, { id: string; name: string; topic: string; members: Set<string> }>;
  responseUrl(id?: string): string;
  /** The next `count` calls (to `method` only, if given) fail this way. */
  failNext(count: number, failure: FakeSlackFailure, method?: string): void;
  callsTo(method: string): FakeSlackCall[];
  close(): Promise<void>;
}

/** Message timestamps are unique per channel in Slack; here across every fake of the process. */
let counter = 0;

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Form values that hold JSON (blocks, attachments) come back as objects. */
const decode = (value: string): unknown => {
  if (/^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
};

export const startFakeSlack = async (
  options: { token?: string; appToken?: string } = {},
): Promise<FakeSlack> => {
  const token = options.token ?? 'xoxb-vigil-test';
  const appToken = options.appToken ?? 'xapp-1-A0VIGIL01-vigil-test';
  let origin = '';
  const calls: FakeSlackCall[] = [];
  const requests: FakeSlackRequest[] = [];
  const responses: FakeSlack['responses'] = [];
  const messages: FakeSlack['messages'] = new Map();
  const channels: FakeSlack['channels'] = new Map();
  const failures: Array<{ remaining: number; failure: FakeSlackFailure; method?: string }> = [];
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;

  const answer = (method: string, args: Record<string, any>): Record<string, unknown> => {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://vigil-test.slack.com/',
          team: 'Vigil Test',
          user: 'vigil',
          team_id: 'T0VIGIL01',
          user_id: 'U0VIGILBOT',
          bot_id: 'B0VIGIL01',
        };
      case 'apps.connections.open':
        return { ok: true, url: `${origin.replace(/^http/, 'ws')}/link/?ticket=${randomUUID()}` };
      case 'chat.postMessage': {
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
        const ts = nextTs();
        const message = {
          channel: String(args.channel),
          ts,
          text: String(args.text ?? ''),
          blocks: args.blocks ?? [],
        };
        messages.set(`${message.channel}:${ts}`, message);
        return {
          ok: true,
          channel: message.channel,
          ts,
          message: { type: 'message', text: message.text, ts },
        };
      }
      case 'chat.update': {
        const message = messages.get(`${args.channel}:${args.ts}`);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(args.text ?? message.text);
        message.blocks = args.blocks ?? message.blocks;
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        if (!args.channel || !args.user) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: nextTs() };
      case 'conversations.create': {
        const name = String(args.name ?? '');
        if (!/^[a-z0-9_-]{1,80}$/.test(name)) return { ok: false, error: 'invalid_name_specials' };
        if ([...channels.values()].some((c) => c.name === name)) return { ok: false, error: 'name_taken' };
        // Unique across fakes, as Slack's ids are: tests share one database.
        const id = `C${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
        channels.set(id, { id, name, topic: '', members: new Set(['U0VIGILBOT']) });
        return { ok: true, channel: { id, name, is_channel: true, created: Math.floor(Date.now() / 1000) } };
      }
      case 'conversations.invite': {
        const channel = channels.get(String(args.channel));
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const users = String(args.users ?? '')
          .split(',')
          .filter(Boolean);
        if (users.length === 0) return { ok: false, error: 'no_user' };
        if (users.every((u) => channel.members.has(u))) return { ok: false, error: 'already_in_channel' };
        for (const u of users) channel.members.add(u);
        return { ok: true, channel: { id: channel.id, name: channel.name } };
      }
      case 'conversations.setTopic': {
        const channel = channels.get(String(args.channel));
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (String(args.topic ?? '').length > 250) return { ok: false, error: 'too_long' };
        channel.topic = String(args.topic ?? '');
        return { ok: true, channel: { id: channel.id, topic: { value: channel.topic } } };
      }
      case 'conversations.open': {
        const users = String(args.users ?? '');
        if (!/^[UW][A-Z0-9]+$/.test(users)) return { ok: false, error: 'user_not_found' };
        return { ok: true, channel: { id: `D${users.slice(1)}` } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake-slack');
      const raw = await readBody(req);
      const at = Date.now();
      if (req.method === 'POST' && url.pathname.startsWith('/respond/')) {
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          // keep the text
        }
        responses.push({ id: url.pathname.slice('/respond/'.length), body, at });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      if (req.method !== 'POST' || !url.pathname.startsWith('/api/')) {
        res.writeHead(404).end();
        return;
      }
      const method = url.pathname.slice('/api/'.length);
      const failure = failures.find(
        (f) => f.remaining > 0 && (f.method === undefined || f.method === method),
      );
      if (failure && !('error' in failure.failure)) {
        failure.remaining--;
        requests.push({ method, status: failure.failure.status, at });
        if (failure.failure.status === 429) {
          res
            .writeHead(429, {
              'content-type': 'application/json',
              'retry-after': String(failure.failure.retryAfter),
            })
            .end('{"ok":false,"error":"ratelimited"}');
        } else {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        }
        return;
      }
      const type = req.headers['content-type'] ?? '';
      const args: Record<string, any> = {};
      if (type.startsWith('application/json')) {
        Object.assign(args, raw ? JSON.parse(raw) : {});
      } else {
        for (const [k, v] of new URLSearchParams(raw)) args[k] = decode(v);
      }
      const auth = req.headers.authorization;
      const given = auth?.startsWith('Bearer ')
        ? auth.slice(7)
        : typeof args.token === 'string'
          ? args.token
          : null;
      requests.push({ method, status: 200, at });
      let body: Record<string, unknown>;
      const appMethod = method === 'apps.connections.open';
      if (given === null) body = { ok: false, error: 'not_authed' };
      else if (appMethod ? given !== appToken : given !== token)
        body = {
          ok: false,
          error: given === token || given === appToken ? 'not_allowed_token_type' : 'invalid_auth',
        };
      else if (failure && 'error' in failure.failure) {
        failure.remaining--;
        body = { ok: false, error: failure.failure.error };
      } else body = answer(method, args);
      calls.push({
        method,
        args,
        token: given,
        at,
        ok: body.ok === true,
        ...(body.ok === true ? {} : { error: String(body.error) }),
      });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    })().catch(() => res.writeHead(400).end());
  });
  const sockets: WebSocket[] = [];
  const acks: SocketModeAck[] = [];
  const wss = new WebSocketServer({ server, path: '/link/' });
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('close', () => sockets.splice(sockets.indexOf(ws), 1));
    ws.on('message', (data) => {
      let message: any;
      try {
        message = JSON.parse(
          (Array.isArray(data)
            ? Buffer.concat(data)
            : data instanceof ArrayBuffer
              ? Buffer.from(data)
              : data
          ).toString('utf8'),
        );
      } catch {
        return;
      }
      if (typeof message?.envelope_id === 'string') acks.push({ ...message, at: Date.now() });
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: sockets.length,
        debug_info: { host: 'fake-slack', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0VIGIL01' },
      }),
    );
  });
  const socketMode: FakeSocketMode = {
    get connections() {
      return sockets.length;
    },
    acks,
    async push(type, payload, timeoutMs = 5000) {
      const ws = sockets.at(-1);
      if (ws === undefined) throw new Error('no Socket Mode connection to push to');
      const envelopeId = randomUUID();
      ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true }));
      return waitFor(
        () => acks.find((a) => a.envelope_id === envelopeId),
        `the ack of ${type} ${envelopeId}`,
        timeoutMs,
      );
    },
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    apiUrl: `${origin}/api/`,
    token,
    appToken,
    socketMode,
    calls,
    requests,
    responses,
    messages,
    channels,
    responseUrl: (id = randomUUID()) => `${origin}/respond/${id}`,
    failNext(count, failure, method) {
      failures.push({ remaining: count, failure, ...(method === undefined ? {} : { method }) });
    },
    callsTo: (method) => calls.filter((c) => c.method === method && c.ok),
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** Headers Slack sends with a request it signed at `timestamp` (Unix seconds; now by default). */
export const slackHeaders = (
  signingSecret: string,
  body: string,
  options: { timestamp?: number; contentType?: string; retryNum?: number } = {},
): Record<string, string> => ({
  'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
  ...signSlackBody(signingSecret, body, options.timestamp ?? Math.floor(Date.now() / 1000)),
  ...(options.retryNum === undefined
    ? {}
    : { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }),
});

/** A slash command's form body, as Slack posts it. */
export const slashCommandBody = (o: {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  triggerId?: string;
  responseUrl: string;
  command?: string;
}): string =>
  new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0VIGIL01',
    team_domain: 'vigil-test',
    channel_id: o.channelId ?? 'C0GENERAL1',
    channel_name: 'general',
    user_id: o.userId ?? 'U024BE7LH',
    user_name: o.userName ?? 'alice',
    command: o.command ?? '/incident',
    text: o.text,
    api_app_id: 'A0VIGIL01',
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id:
      o.triggerId ?? `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomUUID().replace(/-/g, '')}`,
  }).toString();

/** An Events API callback for an app_mention, as Slack sends it (over HTTP, or in an envelope). */
export const appMentionEvent = (o: { eventId: string; ts: string; text: string }) => ({
  token: 'deprecated',
  team_id: 'T0VIGIL01',
  api_app_id: 'A0VIGIL01',
  event: {
    type: 'app_mention',
    user: 'U024BE7LH',
    text: o.text,
    ts: o.ts,
    channel: 'C0GENERAL1',
    event_ts: o.ts,
  },
  type: 'event_callback',
  event_id: o.eventId,
  event_time: Math.floor(Number(o.ts)),
  authorizations: [{ team_id: 'T0VIGIL01', user_id: 'U0VIGILBOT', is_bot: true }],
});

/** A block_actions interaction (a button click), form-encoded as `payload=<JSON>`. */
export const buttonClickBody = (o: {
  actionId: string;
  value: string;
  userId?: string;
  channelId: string;
  messageTs: string;
  responseUrl: string;
  triggerId?: string;
}): string => {
  const payload = {
    type: 'block_actions',
    user: { id: o.userId ?? 'U024BE7LH', username: 'alice', name: 'alice', team_id: 'T0VIGIL01' },
    api_app_id: 'A0VIGIL01',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: o.messageTs, channel_id: o.channelId, is_ephemeral: false },
    trigger_id: o.triggerId ?? `${Date.now()}.${randomUUID().replace(/-/g, '')}`,
    team: { id: 'T0VIGIL01', domain: 'vigil-test' },
    channel: { id: o.channelId, name: 'directmessage' },
    message: { type: 'message', ts: o.messageTs, text: 'page' },
    response_url: o.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: o.actionId,
        block_id: 'incident-actions',
        text: { type: 'plain_text', text: 'Acknowledge' },
        value: o.value,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
};
