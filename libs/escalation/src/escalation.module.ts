import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { EscalationRuntime } from './application/escalation-runtime.js';
import { Escalations } from './application/escalations.js';
import { Policies } from './application/policies.js';
import { Schedules } from './application/schedules.js';
import { Users } from './application/users.js';
import { IncidentEscalationController } from './http/incident-escalation.controller.js';
import { OnCallController, PoliciesController } from './http/policies.controller.js';
import { SchedulesController } from './http/schedules.controller.js';
import { UsersController } from './http/users.controller.js';

/**
 * Users, schedules, escalation policies and paging over HTTP (when `http`), and the services for other
 * modules to inject (the Slack app: Escalations, Users). Expects Clock from a global module.
 */
@Global()
@Module({})
export class EscalationModule {
  static with(escalation: EscalationRuntime, options: { http: boolean }): DynamicModule {
    return {
      module: EscalationModule,
      controllers: options.http
        ? [
            UsersController,
            SchedulesController,
            PoliciesController,
            OnCallController,
            IncidentEscalationController,
          ]
        : [],
      providers: [
        { provide: Users, useValue: escalation.users },
        { provide: Schedules, useValue: escalation.schedules },
        { provide: Policies, useValue: escalation.policies },
        { provide: Escalations, useValue: escalation.escalations },
      ],
      exports: [Users, Schedules, Policies, Escalations],
    };
  }
}
