import { Module } from '@nestjs/common';
import { IntegrationsController } from './http/integrations.controller.js';
import { ReceiversController } from './http/receivers.controller.js';

/** Integrations and alert receivers. Expects Integrations, AlertIngestion and Clock from a global module. */
@Module({ controllers: [IntegrationsController, ReceiversController] })
export class AlertsModule {}
