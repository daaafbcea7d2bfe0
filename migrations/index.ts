import { EventStore1764300000000 } from './1764300000000-event-store.js';
import { IncidentReadModels1764300000001 } from './1764300000001-incident-read-models.js';
import { ApiKeys1764300000002 } from './1764300000002-api-keys.js';
import { Integrations1764300000003 } from './1764300000003-integrations.js';
import { Silences1764300000004 } from './1764300000004-silences.js';
import { AlertFatigue1764300000005 } from './1764300000005-alert-fatigue.js';
import { AlertGroupSnapshots1764300000006 } from './1764300000006-alert-group-snapshots.js';
import { IntegrationReceiverSettings1764300000007 } from './1764300000007-integration-receiver-settings.js';
import { GroupingRules1764300000008 } from './1764300000008-grouping-rules.js';
import { Escalation1764300000009 } from './1764300000009-escalation.js';
import { Slack1764300000010 } from './1764300000010-slack.js';
import { AlertFactCounts1764300000011 } from './1764300000011-alert-fact-counts.js';
import { DeliveryReceiptAge1764300000012 } from './1764300000012-delivery-receipt-age.js';
import { AppendRefusal1764300000013 } from './1764300000013-append-refusal.js';
import { ClaimRefusal1764300000014 } from './1764300000014-claim-refusal.js';
import { AlertFatigueFunction1764300000015 } from './1764300000015-alert-fatigue-function.js';

/** Every migration, oldest first. Never edit one that has landed; add a new one. */
export const MIGRATIONS = [
  EventStore1764300000000,
  IncidentReadModels1764300000001,
  ApiKeys1764300000002,
  Integrations1764300000003,
  Silences1764300000004,
  AlertFatigue1764300000005,
  AlertGroupSnapshots1764300000006,
  IntegrationReceiverSettings1764300000007,
  GroupingRules1764300000008,
  Escalation1764300000009,
  Slack1764300000010,
  AlertFactCounts1764300000011,
  DeliveryReceiptAge1764300000012,
  AppendRefusal1764300000013,
  ClaimRefusal1764300000014,
  AlertFatigueFunction1764300000015,
];
