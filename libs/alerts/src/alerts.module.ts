import { Module } from '@nestjs/common';
import { AnalyticsController } from './http/analytics.controller.js';
import { GroupingRulesController } from './http/grouping-rules.controller.js';
import { IntegrationsController } from './http/integrations.controller.js';
import { ReceiversController } from './http/receivers.controller.js';
import { SilencesController } from './http/silences.controller.js';

/** Integrations and alert receivers. Expects Integrations, Silences, AlertIngestion and Clock from a global module. */
@Module({
  controllers: [
    IntegrationsController,
    ReceiversController,
    SilencesController,
    AnalyticsController,
    GroupingRulesController,
  ],
})
export class AlertsModule {}
