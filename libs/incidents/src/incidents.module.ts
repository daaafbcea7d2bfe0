import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '#vigil/common';
import { HandleIncidentCommandHandler } from './application/incident-commands.js';
import {
  GetIncidentEventsHandler,
  GetIncidentHandler,
  GetIncidentTimelineHandler,
  ListIncidentsHandler,
  VerifyIncidentHandler,
} from './application/incident-queries.js';
import { IncidentsController } from './http/incidents.controller.js';
import { IncidentReadModel } from './read-models/incident-read-model.js';

/** Incidents over HTTP. Expects PG_POOL, PostgresEventStore, CommandRunner and Clock from a global module. */
@Module({
  controllers: [IncidentsController],
  providers: [
    {
      provide: IncidentReadModel,
      useFactory: (pool: Pool) => new IncidentReadModel(pool),
      inject: [PG_POOL],
    },
    HandleIncidentCommandHandler,
    ListIncidentsHandler,
    GetIncidentHandler,
    GetIncidentEventsHandler,
    GetIncidentTimelineHandler,
    VerifyIncidentHandler,
  ],
})
export class IncidentsModule {}
