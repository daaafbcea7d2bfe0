import { Global, Inject, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { CqrsModule, EventBus } from '@nestjs/cqrs';
import { ApiKeyGuard, ApiKeys, Clock, PG_POOL } from '#vigil/common';
import {
  CommandRunner,
  PostgresEventStore,
  SubscriptionRunner,
  type RecordedEvent,
} from '#vigil/event-store';
import { EscalationModule } from '#vigil/escalation';
import { IncidentsModule } from '#vigil/incidents';
import { SlackModule } from '#vigil/slack';
import { AlertIngestion, AlertsModule, GroupingRules, Integrations, Silences } from '#vigil/alerts';
import { HealthController } from './http/health.controller.js';
import type { Runtime } from './runtime.js';
import { RUNTIME } from './tokens.js';

/** Published on the in-process EventBus after events are committed: best-effort fan-out only. */
export class EventsCommitted {
  constructor(readonly events: RecordedEvent[]) {}
}

@Global()
@Module({})
class RuntimeModule {
  static with(runtime: Runtime): DynamicModule {
    return {
      module: RuntimeModule,
      providers: [
        { provide: RUNTIME, useValue: runtime },
        { provide: PG_POOL, useValue: runtime.pool },
        { provide: PostgresEventStore, useValue: runtime.store },
        { provide: CommandRunner, useValue: runtime.commands },
        { provide: SubscriptionRunner, useValue: runtime.subscriptions },
        { provide: ApiKeys, useValue: runtime.apiKeys },
        { provide: Clock, useValue: runtime.clock },
        { provide: Integrations, useValue: runtime.integrations },
        { provide: AlertIngestion, useValue: runtime.ingestion },
        { provide: Silences, useValue: runtime.silences },
        { provide: GroupingRules, useValue: runtime.groupingRules },
      ],
      exports: [
        RUNTIME,
        PG_POOL,
        PostgresEventStore,
        CommandRunner,
        SubscriptionRunner,
        ApiKeys,
        Clock,
        Integrations,
        AlertIngestion,
        Silences,
        GroupingRules,
      ],
    };
  }
}

@Module({})
export class AppModule {
  constructor(eventBus: EventBus, @Inject(RUNTIME) runtime: Runtime) {
    runtime.committed.add((events) => eventBus.publish(new EventsCommitted(events)));
  }

  static with(runtime: Runtime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.with(runtime),
        CqrsModule.forRoot(),
        // Always: its services (Escalations, Users) are injectable in every role; its routes in api only.
        EscalationModule.with(runtime.escalation, { http: runtime.config.roles.api }),
        ...(runtime.config.roles.api
          ? [IncidentsModule, AlertsModule, SlackModule.with({ slack: runtime.slack, log: runtime.log })]
          : []),
      ],
      controllers: [HealthController],
      providers: [
        {
          provide: APP_GUARD,
          useFactory: (r: Reflector, k: ApiKeys) => new ApiKeyGuard(r, k),
          inject: [Reflector, ApiKeys],
        },
      ],
    };
  }
}
