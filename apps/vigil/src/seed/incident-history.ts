import { newId, type AppendRequest } from '#vigil/event-store';
import {
  decide,
  evolve,
  incidentStreamId,
  INCIDENT_STREAM_TYPE,
  initialIncident,
  SEVERITIES,
  type Actor,
  type IncidentCommand,
  type IncidentEvent,
} from '#vigil/incidents';

/** A deterministic pseudo-random generator, so a seeded history is the same every run. */
const lcg = (seed: number) => () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};

/**
 * Realistic incident histories made by the real decision code: each incident is
 * opened, then acknowledged, worked on, mitigated and resolved, with notes,
 * severity changes and the odd reopen. Answers append requests for new streams,
 * `eventsPerIncident` events each on average.
 */
export const incidentHistory = (options: {
  incidents: number;
  eventsPerIncident?: number;
  start?: Date;
  seed?: number;
  services?: number;
}): AppendRequest[] => {
  const random = lcg(options.seed ?? 7);
  const perIncident = options.eventsPerIncident ?? 5;
  const services = options.services ?? 12;
  const start = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const requests: AppendRequest[] = [];
  for (let i = 0; i < options.incidents; i++) {
    const incidentId = newId();
    let now = start + i * 60_000 + Math.floor(random() * 30_000);
    const actor: Actor = { kind: 'user', id: `user-${Math.floor(random() * 20)}` };
    const metadata = () => ({ now: new Date(now).toISOString(), actor, source: 'api' as const });
    const commands: Array<() => IncidentCommand> = [
      () => ({
        type: 'OpenIncident',
        data: {
          incidentId,
          title: `Incident ${i}`,
          service: `service-${Math.floor(random() * services)}`,
          severity: SEVERITIES[Math.floor(random() * 4)]!,
          impactStartedAt: new Date(now - Math.floor(random() * 600_000)).toISOString(),
        },
        metadata: metadata(),
      }),
      () => ({ type: 'AcknowledgeIncident', data: { incidentId }, metadata: metadata() }),
      () => ({
        type: 'RecordDiagnosis',
        data: { incidentId, diagnosis: 'found the cause' },
        metadata: metadata(),
      }),
      () => ({ type: 'MitigateIncident', data: { incidentId, summary: 'mitigated' }, metadata: metadata() }),
      () => ({ type: 'ResolveIncident', data: { incidentId, summary: 'resolved' }, metadata: metadata() }),
    ];
    const extras: Array<() => IncidentCommand> = [
      () => ({
        type: 'AddIncidentNote',
        data: { incidentId, text: `note ${Math.floor(random() * 1000)}` },
        metadata: metadata(),
      }),
      () => ({
        type: 'PostStatusUpdate',
        data: { incidentId, message: 'still working on it' },
        metadata: metadata(),
      }),
      () => ({
        type: 'ChangeIncidentSeverity',
        data: { incidentId, severity: SEVERITIES[Math.floor(random() * 4)]! },
        metadata: metadata(),
      }),
    ];
    let state = initialIncident;
    const events: IncidentEvent[] = [];
    const occurred: string[] = [];
    const run = (command: IncidentCommand) => {
      for (const e of decide(command, state)) {
        events.push(e);
        occurred.push(command.metadata.now);
        state = evolve(state, e);
      }
    };
    for (const [step, command] of commands.entries()) {
      now += Math.floor(random() * 300_000) + 1000;
      run(command());
      while (step > 0 && step < 4 && events.length < perIncident * (step / 4) && random() < 0.5) {
        now += 1000;
        run(extras[Math.floor(random() * extras.length)]!());
      }
    }
    requests.push({
      streamId: incidentStreamId(incidentId),
      streamType: INCIDENT_STREAM_TYPE,
      expectedVersion: 0,
      events: events.map((e, n) => ({
        type: e.type,
        data: e.data,
        occurredAt: occurred[n],
        metadata: { actor, source: 'api' },
      })),
    });
  }
  return requests;
};

/** Splits requests into chunks of about `eventsPerChunk` events, for batched appends. */
export const chunkByEvents = (requests: AppendRequest[], eventsPerChunk: number): AppendRequest[][] => {
  const chunks: AppendRequest[][] = [];
  let current: AppendRequest[] = [];
  let size = 0;
  for (const r of requests) {
    current.push(r);
    size += r.events.length;
    if (size >= eventsPerChunk) {
      chunks.push(current);
      current = [];
      size = 0;
    }
  }
  if (current.length) chunks.push(current);
  return chunks;
};
