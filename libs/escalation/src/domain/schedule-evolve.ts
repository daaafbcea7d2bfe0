import { whoIsOnCall } from './on-call.js';
import type { OnCall } from './on-call.js';
import type { ScheduleEvent, ScheduleState, TimedScheduleEvent } from './schedule-events.js';

export const initialSchedule: ScheduleState = { status: 'none' };

/**
 * Folds one event into the state. Events are facts: evolve never refuses one. An event that cannot
 * apply (anything before ScheduleCreated, a second ScheduleCreated, a change to a layer that is not
 * there, a type this code does not know) leaves the state unchanged.
 */
export const evolveSchedule = (state: ScheduleState, event: ScheduleEvent): ScheduleState => {
  if (state.status === 'none') {
    if (event.type !== 'ScheduleCreated') return state;
    const { scheduleId, name, timeZone } = event.data;
    return { status: 'active', id: scheduleId, name, timeZone, layers: [], overrides: [] };
  }
  switch (event.type) {
    case 'ScheduleCreated':
      return state;
    case 'ScheduleLayerAdded': {
      const { layer } = event.data;
      if (state.layers.some((l) => l.id === layer.id)) return state;
      return { ...state, layers: [...state.layers, layer] };
    }
    case 'ScheduleLayerChanged': {
      const { layer } = event.data;
      return { ...state, layers: state.layers.map((l) => (l.id === layer.id ? layer : l)) };
    }
    case 'ScheduleLayerRemoved':
      return { ...state, layers: state.layers.filter((l) => l.id !== event.data.layerId) };
    case 'ScheduleOverrideAdded': {
      const { override } = event.data;
      if (state.overrides.some((o) => o.id === override.id)) return state;
      return { ...state, overrides: [...state.overrides, override] };
    }
    case 'ScheduleOverrideRemoved':
      return { ...state, overrides: state.overrides.filter((o) => o.id !== event.data.overrideId) };
    default:
      return unknownEvent(event, state);
  }
};

// A type this code does not know (written by a newer version) is skipped, not fatal.
const unknownEvent = (_event: never, state: ScheduleState): ScheduleState => state;

export const foldSchedule = (events: readonly ScheduleEvent[]): ScheduleState =>
  events.reduce(evolveSchedule, initialSchedule);

/**
 * The schedule as it stood at `at`: the fold, in stream order, of the events that had occurred by
 * then (`occurredAt <= at`). What a paging explanation must use to say who was on call at a past
 * instant under the rules of the time, not today's.
 */
export const scheduleAsOf = (events: readonly TimedScheduleEvent[], at: Date): ScheduleState => {
  const limit = at.getTime();
  if (Number.isNaN(limit)) throw new RangeError('at is not a valid Date');
  return events.filter((e) => Date.parse(e.occurredAt) <= limit).reduce(evolveSchedule, initialSchedule);
};

/** Who was on call at `at` under the schedule as it stood then; null if it did not exist yet. */
export const whoWasOnCall = (events: readonly TimedScheduleEvent[], at: Date): OnCall | null => {
  const schedule = scheduleAsOf(events, at);
  return schedule.status === 'active' ? whoIsOnCall(schedule, at) : null;
};
