/**
 * A reference for the ingestion bench, not part of Vigil: the least a receiver of PagerDuty
 * events can do on this machine, so the bench can say how much of what the machine allows Vigil
 * takes. A bare `node:http` server in a process of its own that parses each body, and then either
 * - `answer`: answers 202 at once (what HTTP alone costs), or
 * - `commit`: answers 202 once the body is committed, every body that waited while a batch was in
 *   flight going in the next batch as one INSERT into one plain table (group commit, nothing else:
 *   no receipts, no events, no decisions, no read models).
 *
 * Run as `node bare-receiver.js <answer|commit> <port> [databaseUrl]`; tells its parent (IPC)
 * `ready` once it listens.
 */
import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';

const [mode, portText, databaseUrl] = process.argv.slice(2);
if (mode !== 'answer' && mode !== 'commit') throw new Error('mode: answer or commit');

// One batch in flight: measured faster here than two or four on connections of their own.
const pool = mode === 'commit' ? new pg.Pool({ connectionString: databaseUrl, max: 1 }) : null;

interface Waiting {
  body: string;
  answer: () => void;
  fail: () => void;
}
const waiting: Waiting[] = [];
let inFlight = false;

const pump = () => {
  if (inFlight || waiting.length === 0 || pool === null) return;
  inFlight = true;
  const batch = waiting.splice(0);
  pool
    .query(
      `INSERT INTO raw_alerts (dedup_key, body)
       SELECT b->>'dedup_key', b FROM jsonb_array_elements($1::jsonb) AS b`,
      [`[${batch.map((w) => w.body).join(',')}]`],
    )
    .then(
      () => batch.forEach((w) => w.answer()),
      () => batch.forEach((w) => w.fail()),
    )
    .finally(() => {
      inFlight = false;
      pump();
    });
};

const reply = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let dedupKey: unknown;
    try {
      dedupKey = (JSON.parse(body) as { dedup_key?: unknown }).dedup_key;
    } catch {
      reply(res, 400, { status: 'invalid event', message: 'Event object is invalid' });
      return;
    }
    const answer = () =>
      reply(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
    if (pool === null) return answer();
    waiting.push({ body, answer, fail: () => reply(res, 500, { status: 'error' }) });
    pump();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => {
  server.close();
  void pool?.end();
  process.exit(0);
});
