import type { Restriction, ScheduleLayer, ScheduleOverride } from './schedule.js';

/** Everything a decision may know besides state: the time and who is asking. */
export type ScheduleCommandMetadata = { now: string; actor: { kind: string; id: string; name?: string } };

/** A layer as a command gives it. `name` defaults to "Layer n"; `restrictions` to none. */
export type ScheduleLayerInput = Omit<ScheduleLayer, 'name' | 'restrictions'> & {
  name?: string;
  restrictions?: Restriction[];
};

export type CreateSchedule = {
  type: 'CreateSchedule';
  data: { scheduleId: string; name: string; timeZone: string };
  metadata: ScheduleCommandMetadata;
};

/** Adds a layer on top of the existing ones. */
export type AddScheduleLayer = {
  type: 'AddScheduleLayer';
  data: { scheduleId: string; layer: ScheduleLayerInput };
  metadata: ScheduleCommandMetadata;
};

/** Replaces a layer's definition, keeping its place. */
export type ChangeScheduleLayer = {
  type: 'ChangeScheduleLayer';
  data: { scheduleId: string; layer: ScheduleLayerInput };
  metadata: ScheduleCommandMetadata;
};

export type RemoveScheduleLayer = {
  type: 'RemoveScheduleLayer';
  data: { scheduleId: string; layerId: string };
  metadata: ScheduleCommandMetadata;
};

export type AddScheduleOverride = {
  type: 'AddScheduleOverride';
  data: { scheduleId: string; override: ScheduleOverride };
  metadata: ScheduleCommandMetadata;
};

export type RemoveScheduleOverride = {
  type: 'RemoveScheduleOverride';
  data: { scheduleId: string; overrideId: string };
  metadata: ScheduleCommandMetadata;
};

export type ScheduleCommand =
  | CreateSchedule
  | AddScheduleLayer
  | ChangeScheduleLayer
  | RemoveScheduleLayer
  | AddScheduleOverride
  | RemoveScheduleOverride;

export type ScheduleCommandType = ScheduleCommand['type'];
