import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { CommandRunner, PostgresEventStore, type ChainVerdict } from '#vigil/event-store';
import { IncidentError } from '../domain/errors.js';
import {
  IncidentReadModel,
  type IncidentFilter,
  type TimelineEntry,
} from '../read-models/incident-read-model.js';
import { incidentDecider, incidentStreamId } from './incident-decider.js';
import { toIncidentView, type IncidentView } from './incident-view.js';

const notFound = (id: string) => new IncidentError('IncidentNotFound', `Incident ${id} does not exist`);

export class ListIncidentsQuery extends Query<{ items: IncidentView[]; nextCursor: string | null }> {
  constructor(readonly filter: IncidentFilter) {
    super();
  }
}

export class GetIncidentQuery extends Query<IncidentView> {
  constructor(readonly incidentId: string) {
    super();
  }
}

export class GetIncidentEventsQuery extends Query<{ items: unknown[] }> {
  constructor(readonly incidentId: string) {
    super();
  }
}

export class GetIncidentTimelineQuery extends Query<{ items: TimelineEntry[] }> {
  constructor(readonly incidentId: string) {
    super();
  }
}

export class VerifyIncidentQuery extends Query<ChainVerdict & { incidentId: string }> {
  constructor(readonly incidentId: string) {
    super();
  }
}

@QueryHandler(ListIncidentsQuery)
export class ListIncidentsHandler implements IQueryHandler<ListIncidentsQuery> {
  constructor(@Inject(IncidentReadModel) private readonly readModel: IncidentReadModel) {}
  execute({ filter }: ListIncidentsQuery) {
    return this.readModel.list(filter);
  }
}

/** The detail is folded from the stream itself, so a client always reads its own writes. */
@QueryHandler(GetIncidentQuery)
export class GetIncidentHandler implements IQueryHandler<GetIncidentQuery> {
  constructor(private readonly runner: CommandRunner) {}
  async execute({ incidentId }: GetIncidentQuery) {
    const { state, version } = await this.runner.load(incidentDecider, incidentStreamId(incidentId));
    if (state.status === 'none') throw notFound(incidentId);
    return toIncidentView(state, version);
  }
}

@QueryHandler(GetIncidentEventsQuery)
export class GetIncidentEventsHandler implements IQueryHandler<GetIncidentEventsQuery> {
  constructor(private readonly store: PostgresEventStore) {}
  async execute({ incidentId }: GetIncidentEventsQuery) {
    const events = await this.store.readStream(incidentStreamId(incidentId));
    if (events.length === 0) throw notFound(incidentId);
    return {
      items: events.map((e) => ({
        eventId: e.eventId,
        type: e.type,
        version: e.streamVersion,
        schemaVersion: e.schemaVersion,
        storedSchemaVersion: e.storedSchemaVersion,
        data: e.data,
        metadata: e.metadata,
        occurredAt: e.occurredAt,
        recordedAt: e.recordedAt,
        globalPosition: e.position.globalPosition,
        prevHash: e.prevHash,
        hash: e.hash,
      })),
    };
  }
}

@QueryHandler(GetIncidentTimelineQuery)
export class GetIncidentTimelineHandler implements IQueryHandler<GetIncidentTimelineQuery> {
  constructor(
    private readonly store: PostgresEventStore,
    @Inject(IncidentReadModel) private readonly readModel: IncidentReadModel,
  ) {}
  async execute({ incidentId }: GetIncidentTimelineQuery) {
    const version = await this.store.streamVersion(incidentStreamId(incidentId));
    if (version === 0) throw notFound(incidentId);
    return { items: await this.readModel.timeline(incidentId, version) };
  }
}

@QueryHandler(VerifyIncidentQuery)
export class VerifyIncidentHandler implements IQueryHandler<VerifyIncidentQuery> {
  constructor(private readonly store: PostgresEventStore) {}
  async execute({ incidentId }: VerifyIncidentQuery) {
    const verdict = await this.store.verifyStream(incidentStreamId(incidentId));
    if (verdict.events === 0) throw notFound(incidentId);
    return { incidentId, ...verdict };
  }
}
