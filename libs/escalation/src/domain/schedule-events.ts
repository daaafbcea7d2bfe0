import type { Schedule, ScheduleLayer, ScheduleOverride } from './schedule.js';

// Event `type` strings are permanent API: never rename or reuse one. Instants are ISO-8601 strings;
// *By fields hold the acting actor's id. Layers and overrides are carried whole, so a replay never
// needs anything but the stream.

export type ScheduleCreated = {
  type: 'ScheduleCreated';
  data: { scheduleId: string; name: string; timeZone: string; createdBy: string };
};

/** The layer goes on top: it outranks every layer added before it. */
export type ScheduleLayerAdded = {
  type: 'ScheduleLayerAdded';
  data: { scheduleId: string; layer: ScheduleLayer; addedBy: string };
};

/** The layer's whole new definition; it keeps its place among the layers. */
export type ScheduleLayerChanged = {
  type: 'ScheduleLayerChanged';
  data: { scheduleId: string; layer: ScheduleLayer; changedBy: string };
};

export type ScheduleLayerRemoved = {
  type: 'ScheduleLayerRemoved';
  data: { scheduleId: string; layerId: string; removedBy: string };
};

export type ScheduleOverrideAdded = {
  type: 'ScheduleOverrideAdded';
  data: { scheduleId: string; override: ScheduleOverride; addedBy: string };
};

export type ScheduleOverrideRemoved = {
  type: 'ScheduleOverrideRemoved';
  data: { scheduleId: string; overrideId: string; removedBy: string };
};

export type ScheduleEvent =
  | ScheduleCreated
  | ScheduleLayerAdded
  | ScheduleLayerChanged
  | ScheduleLayerRemoved
  | ScheduleOverrideAdded
  | ScheduleOverrideRemoved;

export type ScheduleEventType = ScheduleEvent['type'];

/** A stored schedule event: the domain event and the envelope's `occurredAt` (ISO-8601). */
export type TimedScheduleEvent = ScheduleEvent & { occurredAt: string };

// A mapped type rather than a hand-written array: adding an event to the union without listing it
// here (or listing a stray one) fails the build.
const eventTypes: { [T in ScheduleEventType]: T } = {
  ScheduleCreated: 'ScheduleCreated',
  ScheduleLayerAdded: 'ScheduleLayerAdded',
  ScheduleLayerChanged: 'ScheduleLayerChanged',
  ScheduleLayerRemoved: 'ScheduleLayerRemoved',
  ScheduleOverrideAdded: 'ScheduleOverrideAdded',
  ScheduleOverrideRemoved: 'ScheduleOverrideRemoved',
};

export const SCHEDULE_EVENT_TYPES: readonly ScheduleEventType[] = Object.freeze(Object.values(eventTypes));

/** A schedule folded from its events: nothing yet, or a schedule that exists. */
export type ScheduleState = { status: 'none' } | ({ status: 'active' } & Schedule);

/** The stream id of a schedule's events. */
export const scheduleStreamId = (scheduleId: string): string => `schedule-${scheduleId}`;
