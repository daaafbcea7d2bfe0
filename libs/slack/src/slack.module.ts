import { Module, type DynamicModule } from '@nestjs/common';
import { SlackController } from './http/slack.controller.js';
import { SLACK_MODULE_OPTIONS, SlackHttp, type SlackModuleOptions } from './http/slack-http.js';

/**
 * Slack's HTTP side: the routes and the Bolt app behind them. Expects PG_POOL, Clock and the
 * CQRS buses (with IncidentsModule's handlers) from the app. With `slack: null` the routes
 * answer 503.
 */
@Module({})
export class SlackModule {
  static with(options: SlackModuleOptions): DynamicModule {
    return {
      module: SlackModule,
      controllers: [SlackController],
      providers: [{ provide: SLACK_MODULE_OPTIONS, useValue: options }, SlackHttp],
    };
  }
}
