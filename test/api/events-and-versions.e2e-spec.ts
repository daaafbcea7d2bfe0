import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '@nestjs/cqrs';
import type { RecordedEvent } from '#vigil/event-store';
import { incidentStreamId, INCIDENT_STREAM_TYPE } from '#vigil/incidents';
import { EventsCommitted } from '../../apps/vigil/src/app.module.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('event versions and in-process publication', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('reads a stored schema-1 IncidentSeverityChanged (numeric levels) as the current shape', async () => {
    const incidentId = randomUUID();
    const at = '2026-03-01T10:00:00.000Z';
    await t.runtime.store.append({
      streamId: incidentStreamId(incidentId),
      streamType: INCIDENT_STREAM_TYPE,
      expectedVersion: 0,
      events: [
        {
          type: 'IncidentOpened',
          occurredAt: at,
          data: {
            incidentId,
            title: 'Old incident',
            service: 'legacy',
            severity: 'SEV3',
            summary: null,
            impactStartedAt: at,
            detectedAt: at,
            openedBy: 'alice',
          },
        },
        // As written by an earlier Vigil: severities as numbers, no reason field.
        {
          type: 'IncidentSeverityChanged',
          schemaVersion: 1,
          occurredAt: at,
          data: { incidentId, from: 3, to: 1 },
        },
      ],
    });
    const events = await t.call('GET', `/v1/incidents/${incidentId}/events`);
    assert.deepEqual(events.body.items[1].data, { incidentId, from: 'SEV3', to: 'SEV1', reason: null });
    assert.equal(events.body.items[1].schemaVersion, 2);
    assert.equal(events.body.items[1].storedSchemaVersion, 1);
    const incident = await t.call('GET', `/v1/incidents/${incidentId}`);
    assert.equal(incident.body.severity, 'SEV1');
    const verify = await t.call('GET', `/v1/incidents/${incidentId}/verify`);
    assert.equal(verify.body.valid, true, 'the chain seals the stored form, not the upcast one');
    const { rows } = await t.runtime.pool.query(
      `SELECT data FROM events WHERE stream_id = $1 AND stream_version = 2`,
      [incidentStreamId(incidentId)],
    );
    assert.deepEqual(rows[0].data, { incidentId, from: 3, to: 1 }, 'history is never rewritten');
  });

  it('publishes on the EventBus only after the events are committed', async () => {
    const bus = t.app.get(EventBus);
    const seen: Array<{ events: RecordedEvent[]; visibleElsewhere: number }> = [];
    const checks: Promise<void>[] = [];
    const subscription = bus.subscribe((message: unknown) => {
      if (!(message instanceof EventsCommitted)) return;
      const ids = message.events.map((e) => e.eventId);
      // Another connection can already see them: the transaction has committed.
      checks.push(
        t.runtime.pool
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE event_id = ANY($1::uuid[])`, [
            ids,
          ])
          .then(({ rows }) => {
            seen.push({ events: message.events, visibleElsewhere: rows[0]!.n });
          }),
      );
    });
    try {
      const created = await t.call('POST', '/v1/incidents', {
        body: { title: 'x', severity: 'SEV4', service: 'bus' },
      });
      const failed = await t.call('POST', `/v1/incidents/${created.body.id}/reopen`, { body: {} });
      assert.equal(failed.status, 409);
      await Promise.all(checks);
      const mine = seen.filter((s) => s.events[0]!.streamId === incidentStreamId(created.body.id));
      assert.equal(mine.length, 1, 'one publication for the declaration, none for the refused reopen');
      assert.equal(mine[0]!.events[0]!.type, 'IncidentOpened');
      assert.equal(mine[0]!.visibleElsewhere, 1);
    } finally {
      subscription.unsubscribe();
    }
  });
});
