/**
 * From alert to page: a Vigil server in its own process with Slack on, pointed
 * at a fake Slack Web API in this process. Alerts arrive open-loop at 100/s,
 * each opening its own incident on a service whose escalation policy pages a
 * schedule's on-call user; each is timed from the receiver's 2xx (and from its
 * scheduled send) to the moment the fake Slack receives the DM. The server's
 * first seconds are sent first and reported apart.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { Integrations } from '#vigil/alerts';
import { ApiKeys } from '#vigil/common';
import { freePort } from '../apps/vigil/src/support/free-port.js';
import { startFakeSlack } from '../test/support/fake-slack.js';
import { checkpoint, quantile, round, startServer } from './ingest.js';

const RATE = 100;
/** Seconds of pages sent (and all received) before the measured ones, right after the server started. */
const COLD_S = 3;

export const runPagingBench = async (databaseUrl: string, options: { seconds: number }) => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const slack = await startFakeSlack({ token: 'xoxb-vigil-bench' });
  const port = await freePort();
  const server = await startServer(databaseUrl, port, {
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    SLACK_API_URL: slack.apiUrl,
  });
  const base = `http://127.0.0.1:${port}`;
  const { key: adminKey } = await new ApiKeys(pool).create('bench paging', ['admin']);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { id: string };
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };

  // Two users take daily turns in a schedule; the service's policy pages it at level 1.
  const service = 'bench-paging';
  const users = [
    (await post('/v1/users', { name: 'Bench One', slackUserId: 'UBENCHONE' })).id,
    (await post('/v1/users', { name: 'Bench Two', slackUserId: 'UBENCHTWO' })).id,
  ];
  const schedule = await post('/v1/schedules', {
    name: 'Bench primary',
    timeZone: 'UTC',
    layers: [
      {
        name: 'Daily',
        start: new Date(Date.now() - 48 * 3600_000).toISOString(),
        rotation: { kind: 'daily' },
        handoffTime: '09:00',
        users,
      },
    ],
  });
  const policy = await post('/v1/escalation-policies', {
    name: 'Bench',
    levels: [{ targets: [{ kind: 'schedule', id: schedule.id }], delayMinutes: 30 }],
    repeats: 0,
  });
  await post(`/v1/escalation-policies/${policy.id}/attachments`, { service });
  const { key } = await new Integrations(pool).create({ name: 'bench paging', service, type: 'generic' });

  await checkpoint(pool);
  const http = new HttpPool(base, { connections: 16 });

  /** Sends `seconds` of alerts open-loop at RATE; answers each one's times, once all are paged (or 30 s passed). */
  const burst = async (seconds: number) => {
    const accepted = new Map<string, number>();
    const scheduled = new Map<string, number>();
    let errors = 0;
    const started = Date.now();
    const sends: Promise<void>[] = [];
    const total = RATE * seconds;
    for (let i = 0; i < total; i++) {
      const at = started + (i * 1000) / RATE;
      const wait = at - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const id = `page-${randomUUID()}`;
      scheduled.set(id, at);
      sends.push(
        http
          .request({
            method: 'POST',
            path: `/v1/integrations/${key}/alerts`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ dedupKey: id, summary: id, severity: 'SEV3' }),
          })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode !== 202) errors++;
            else accepted.set(id, Date.now());
          })
          .catch(() => {
            errors++;
          }),
      );
    }
    await Promise.all(sends);

    // Wait for the pages (or give up after 30 s), then match each DM to its alert.
    const paged = new Map<string, number>();
    const deadline = Date.now() + 30_000;
    while (paged.size < accepted.size && Date.now() < deadline) {
      for (const call of slack.callsTo('chat.postMessage')) {
        const id = /page-[0-9a-f-]{36}/.exec(JSON.stringify(call.args))?.[0];
        if (id && scheduled.has(id) && !paged.has(id) && String(call.args.channel).startsWith('D'))
          paged.set(id, call.at);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const fromAccepted = [...paged].flatMap(([id, at]) => (accepted.has(id) ? [at - accepted.get(id)!] : []));
    const fromScheduled = [...paged].flatMap(([id, at]) => [at - scheduled.get(id)!]);
    const stats = (xs: number[]) => ({
      p50: round(quantile(xs, 0.5)),
      p99: round(quantile(xs, 0.99)),
      max: round(Math.max(...xs)),
    });
    return {
      alerts: total,
      accepted: accepted.size,
      paged: paged.size,
      errors,
      latency_ms: stats(fromAccepted),
      from_scheduled_send_ms: stats(fromScheduled),
    };
  };
  // The server was started a moment ago: its first seconds of pages are timed apart (JIT
  // compilation and cold caches, on the same two cores), as the ingest-to-visible arm does.
  const cold = await burst(COLD_S);
  const measured = await burst(options.seconds);

  await http.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await slack.close();
  pool.on('error', () => undefined);
  await pool.end();
  return {
    id: 'alert_to_slack_page_latency',
    rate_per_s: RATE,
    what: 'alert accepted (2xx) → level-1 DM received by the fake Slack Web API, each alert opening its own incident',
    ...measured,
    first_seconds_cold: { seconds: COLD_S, ...cold },
  };
};
