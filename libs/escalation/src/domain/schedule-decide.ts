import { isDeepStrictEqual } from 'node:util';

import { parseLocalTime } from './schedule.js';
import type { Restriction, Rotation, ScheduleLayer, ScheduleOverride } from './schedule.js';
import type {
  AddScheduleLayer,
  AddScheduleOverride,
  ChangeScheduleLayer,
  CreateSchedule,
  RemoveScheduleLayer,
  RemoveScheduleOverride,
  ScheduleCommand,
  ScheduleLayerInput,
} from './schedule-commands.js';
import type { ScheduleDecision, ScheduleErrorCode } from './schedule-errors.js';
import type { ScheduleEvent, ScheduleState } from './schedule-events.js';
import { isValidTimeZone, WEEKDAYS } from './zone.js';

type Active = Extract<ScheduleState, { status: 'active' }>;

/** Longest custom rotation accepted: a year, in either unit. */
const MAX_ROTATION = { hours: 366 * 24, days: 366 } as const;

type Refusal = Extract<ScheduleDecision, { ok: false }>;

const refuse = (code: ScheduleErrorCode, message: string): Refusal => ({
  ok: false,
  error: { code, message },
});
const accept = (...events: ScheduleEvent[]): ScheduleDecision => ({ ok: true, events });

/** What a validation returns: the normalised value, or the refusal to pass on. */
type Checked<T> = { ok: true; value: T } | Refusal;

/**
 * Decides which events a schedule command produces against the current state. Refusals are returned,
 * not thrown. Repeating a command whose effect is already there (the same layer or override added
 * again, a change to what the layer already is) decides no events.
 */
export const decideSchedule = (command: ScheduleCommand, state: ScheduleState): ScheduleDecision => {
  switch (command.type) {
    case 'CreateSchedule':
      return create(command, state);
    case 'AddScheduleLayer':
      return addLayer(command, state);
    case 'ChangeScheduleLayer':
      return changeLayer(command, state);
    case 'RemoveScheduleLayer':
      return removeLayer(command, state);
    case 'AddScheduleOverride':
      return addOverride(command, state);
    case 'RemoveScheduleOverride':
      return removeOverride(command, state);
    default:
      return unknownCommand(command);
  }
};

const create = (cmd: CreateSchedule, state: ScheduleState): ScheduleDecision => {
  const { scheduleId, name, timeZone } = cmd.data;
  if (state.status !== 'none')
    return refuse('ScheduleAlreadyExists', `Schedule ${scheduleId} already exists`);
  if (!isId(scheduleId)) return refuse('InvalidId', 'A schedule needs a non-empty id');
  if (!isName(name)) return refuse('InvalidName', 'A schedule needs a non-empty name');
  if (!isValidTimeZone(timeZone)) {
    return refuse(
      'UnknownTimeZone',
      `"${String(timeZone)}" is not an IANA time zone (such as Europe/London)`,
    );
  }
  return accept({
    type: 'ScheduleCreated',
    data: { scheduleId, name: name.trim(), timeZone, createdBy: cmd.metadata.actor.id },
  });
};

const addLayer = (cmd: AddScheduleLayer, state: ScheduleState): ScheduleDecision => {
  const { scheduleId } = cmd.data;
  if (state.status === 'none') return notFound(scheduleId);
  const checked = checkLayer(cmd.data.layer, `Layer ${state.layers.length + 1}`);
  if (!checked.ok) return checked;
  const layer = checked.value;
  const existing = state.layers.find((l) => l.id === layer.id);
  if (existing) {
    if (isDeepStrictEqual(existing, layer)) return accept();
    return refuse('LayerAlreadyExists', `Schedule ${scheduleId} already has a layer ${layer.id}`);
  }
  return accept({ type: 'ScheduleLayerAdded', data: { scheduleId, layer, addedBy: cmd.metadata.actor.id } });
};

const changeLayer = (cmd: ChangeScheduleLayer, state: ScheduleState): ScheduleDecision => {
  const { scheduleId } = cmd.data;
  if (state.status === 'none') return notFound(scheduleId);
  const existing = state.layers.find((l) => l.id === cmd.data.layer.id);
  if (!existing) return layerNotFound(state, cmd.data.layer.id);
  const checked = checkLayer(cmd.data.layer, existing.name);
  if (!checked.ok) return checked;
  const layer = checked.value;
  if (isDeepStrictEqual(existing, layer)) return accept();
  return accept({
    type: 'ScheduleLayerChanged',
    data: { scheduleId, layer, changedBy: cmd.metadata.actor.id },
  });
};

const removeLayer = (cmd: RemoveScheduleLayer, state: ScheduleState): ScheduleDecision => {
  const { scheduleId, layerId } = cmd.data;
  if (state.status === 'none') return notFound(scheduleId);
  if (!state.layers.some((l) => l.id === layerId)) return layerNotFound(state, layerId);
  return accept({
    type: 'ScheduleLayerRemoved',
    data: { scheduleId, layerId, removedBy: cmd.metadata.actor.id },
  });
};

const addOverride = (cmd: AddScheduleOverride, state: ScheduleState): ScheduleDecision => {
  const { scheduleId } = cmd.data;
  if (state.status === 'none') return notFound(scheduleId);
  const { id, userId } = cmd.data.override;
  if (!isId(id)) return refuse('InvalidId', 'An override needs a non-empty id');
  if (!isId(userId)) return refuse('InvalidUserId', 'An override needs the id of the user who covers');
  const start = checkInstant(cmd.data.override.start, 'Override start');
  if (!start.ok) return start;
  const end = checkInstant(cmd.data.override.end, 'Override end');
  if (!end.ok) return end;
  if (Date.parse(end.value) <= Date.parse(start.value)) {
    return refuse(
      'EndNotAfterStart',
      `Override ${id} ends (${end.value}) at or before it starts (${start.value})`,
    );
  }
  // Who was on call in the past is a matter of record; an override cannot rewrite it.
  if (Date.parse(end.value) <= Date.parse(cmd.metadata.now)) {
    return refuse('OverrideInPast', `Override ${id} ends (${end.value}) before now (${cmd.metadata.now})`);
  }
  const override: ScheduleOverride = { id, userId, start: start.value, end: end.value };
  const existing = state.overrides.find((o) => o.id === id);
  if (existing) {
    if (isDeepStrictEqual(existing, override)) return accept();
    return refuse('OverrideAlreadyExists', `Schedule ${scheduleId} already has an override ${id}`);
  }
  // Overlapping overrides are allowed: the later added wins where they overlap.
  return accept({
    type: 'ScheduleOverrideAdded',
    data: { scheduleId, override, addedBy: cmd.metadata.actor.id },
  });
};

const removeOverride = (cmd: RemoveScheduleOverride, state: ScheduleState): ScheduleDecision => {
  const { scheduleId, overrideId } = cmd.data;
  if (state.status === 'none') return notFound(scheduleId);
  if (!state.overrides.some((o) => o.id === overrideId)) {
    return refuse('OverrideNotFound', `Schedule ${scheduleId} has no override ${overrideId}`);
  }
  return accept({
    type: 'ScheduleOverrideRemoved',
    data: { scheduleId, overrideId, removedBy: cmd.metadata.actor.id },
  });
};

const notFound = (scheduleId: string): ScheduleDecision =>
  refuse('ScheduleNotFound', `Schedule ${scheduleId} does not exist`);

const layerNotFound = (state: Active, layerId: string): ScheduleDecision =>
  refuse('LayerNotFound', `Schedule ${state.id} has no layer ${layerId}`);

const isId = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const isName = isId;

/** Validates a layer and returns it as stored: instants normalised, defaults filled in. */
const checkLayer = (input: ScheduleLayerInput, defaultName: string): Checked<ScheduleLayer> => {
  if (!isId(input.id)) return refuse('InvalidId', 'A layer needs a non-empty id');
  if (input.name !== undefined && !isName(input.name))
    return refuse('InvalidName', 'A layer name cannot be blank');
  const start = checkInstant(input.start, 'Layer start');
  if (!start.ok) return start;
  const rotation = checkRotation(input.rotation);
  if (!rotation.ok) return rotation;
  if (parseLocalTime(input.handoffTime) === null) {
    return refuse(
      'InvalidLocalTime',
      `Handoff time "${String(input.handoffTime)}" is not HH:MM (00:00–23:59)`,
    );
  }
  if (!Array.isArray(input.users) || input.users.length === 0) {
    return refuse('EmptyUserList', `Layer ${input.id} needs at least one user`);
  }
  const badUser = input.users.find((u) => !isId(u));
  if (badUser !== undefined) return refuse('InvalidUserId', `Layer ${input.id} lists a blank user id`);
  if (input.restrictions !== undefined && !Array.isArray(input.restrictions)) {
    return refuse('InvalidRestriction', `Layer ${input.id}'s restrictions are a list`);
  }
  const restrictions: Restriction[] = [];
  for (const restriction of input.restrictions ?? []) {
    const checked = checkRestriction(restriction);
    if (!checked.ok) return checked;
    restrictions.push(checked.value);
  }
  return {
    ok: true,
    value: {
      id: input.id,
      name: input.name?.trim() ?? defaultName,
      start: start.value,
      rotation: rotation.value,
      handoffTime: input.handoffTime,
      users: [...input.users],
      restrictions,
    },
  };
};

const checkRotation = (rotation: Rotation): Checked<Rotation> => {
  switch (rotation?.kind) {
    case 'daily':
    case 'weekly':
      return { ok: true, value: { kind: rotation.kind } };
    case 'custom': {
      const { every, unit } = rotation;
      if (unit !== 'hours' && unit !== 'days') {
        return refuse('InvalidRotation', `A custom rotation's unit is hours or days, not "${String(unit)}"`);
      }
      if (!Number.isInteger(every) || every < 1 || every > MAX_ROTATION[unit]) {
        return refuse(
          'InvalidRotation',
          `A custom rotation lasts a whole number of ${unit} from 1 to ${MAX_ROTATION[unit]}, not ${String(every)}`,
        );
      }
      return { ok: true, value: { kind: 'custom', every, unit } };
    }
    default:
      return refuse('InvalidRotation', 'A rotation is daily, weekly or custom');
  }
};

const checkRestriction = (restriction: Restriction): Checked<Restriction> => {
  const { start, end } = restriction ?? {};
  const startMinutes = parseLocalTime(start);
  const endMinutes = parseLocalTime(end, true);
  if (startMinutes === null || endMinutes === null) {
    return refuse(
      'InvalidLocalTime',
      `A restriction runs from HH:MM (00:00–23:59) to HH:MM (00:01–24:00), not ${String(start)}–${String(end)}`,
    );
  }
  if (startMinutes === endMinutes % (24 * 60)) {
    return refuse(
      'InvalidRestriction',
      `A restriction from ${start} to ${end} is empty or a whole day; leave it out`,
    );
  }
  switch (restriction.kind) {
    case 'daily':
      return { ok: true, value: { kind: 'daily', start, end } };
    case 'weekly': {
      const { days } = restriction;
      if (!Array.isArray(days) || days.length === 0) {
        return refuse('InvalidRestriction', 'A weekly restriction names at least one day');
      }
      if (days.some((d) => !WEEKDAYS.includes(d)) || new Set(days).size !== days.length) {
        return refuse('InvalidRestriction', `Days are distinct values of ${WEEKDAYS.join(', ')}`);
      }
      return { ok: true, value: { kind: 'weekly', days: [...days], start, end } };
    }
    default:
      return refuse('InvalidRestriction', 'A restriction is daily or weekly');
  }
};

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** An ISO-8601 instant with a zone (`Z` or `±hh:mm`), returned normalised to UTC with milliseconds. */
const checkInstant = (value: string, what: string): Checked<string> => {
  const match = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = (match?.slice(1, 7) ?? []).map(
    (part) => Number(part ?? 0),
  );
  // Date.parse accepts 30 February as 2 March: compare the fields with what they became.
  const fields = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    match !== null &&
    fields.getUTCFullYear() === year &&
    fields.getUTCMonth() === month - 1 &&
    fields.getUTCDate() === day &&
    fields.getUTCHours() === hour &&
    fields.getUTCMinutes() === minute &&
    fields.getUTCSeconds() === second;
  const at = Date.parse(value);
  if (!real || Number.isNaN(at)) {
    return refuse(
      'InvalidTimestamp',
      `${what} "${String(value)}" is not an ISO-8601 instant with a time zone`,
    );
  }
  return { ok: true, value: new Date(at).toISOString() };
};

const unknownCommand = (command: never): never => {
  throw new Error(`Unknown schedule command: ${JSON.stringify((command as { type?: unknown }).type)}`);
};
