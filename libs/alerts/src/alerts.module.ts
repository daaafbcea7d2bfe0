import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { SnsTrust } from './domain/sns-message.js';
import { AnalyticsController } from './http/analytics.controller.js';
import { BacktestsController } from './http/backtests.controller.js';
import { GroupingRulesController } from './http/grouping-rules.controller.js';
import { IntegrationsController } from './http/integrations.controller.js';
import { ReceiversController } from './http/receivers.controller.js';
import { SilencesController } from './http/silences.controller.js';
import { SnsVerifier } from './sns/sns-verifier.js';

/** Integrations and alert receivers. Expects Integrations, Silences, AlertIngestion and Clock from a global module. */
@Module({
  controllers: [
    IntegrationsController,
    ReceiversController,
    SilencesController,
    AnalyticsController,
    GroupingRulesController,
    BacktestsController,
  ],
})
export class AlertsModule {}

/**
 * The receivers' settings from Vigil's configuration, provided once from the
 * app's root (global, so AlertsModule's controllers see them): the SNS trust
 * rule and, with it, the one certificate cache of the process.
 */
@Global()
@Module({})
export class AlertReceiverSettingsModule {
  static with(settings: { sns: SnsTrust }): DynamicModule {
    return {
      module: AlertReceiverSettingsModule,
      providers: [{ provide: SnsVerifier, useValue: new SnsVerifier(settings.sns) }],
      exports: [SnsVerifier],
    };
  }
}
