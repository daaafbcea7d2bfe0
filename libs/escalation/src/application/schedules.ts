import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { newId, type CommandRunner, type PostgresEventStore } from '#vigil/event-store';
import { EscalationError } from '../domain/escalation-errors.js';
import { explainOnCall } from '../domain/paging.js';
import { shifts as renderShifts, whoIsOnCall } from '../domain/on-call.js';
import type { OnCall, Shift } from '../domain/on-call.js';
import type { ScheduleCommand, ScheduleLayerInput } from '../domain/schedule-commands.js';
import type { ScheduleEvent, TimedScheduleEvent } from '../domain/schedule-events.js';
import { scheduleStreamId } from '../domain/schedule-events.js';
import { foldSchedule, scheduleAsOf } from '../domain/schedule-evolve.js';
import type { Schedule, ScheduleOverride } from '../domain/schedule.js';
import { metadataOf, scheduleDecider, type EscalationActor } from './streams.js';
import type { Users } from './users.js';

export type ScheduleView = Schedule & { version: number };

export interface OnCallView extends OnCall {
  scheduleId: string;
  user: { id: string; name: string; slackUserId: string | null } | null;
  explanation: string;
}

/** The longest range `shifts` renders: about a quarter. */
export const MAX_SHIFT_RANGE_DAYS = 93;

const scheduleOf = ({ id, name, timeZone, layers, overrides }: Schedule): Schedule => ({
  id,
  name,
  timeZone,
  layers,
  overrides,
});

const notFound = (id: string) => new EscalationError('ScheduleNotFound', `Schedule ${id} does not exist`);

/** On-call schedules, event-sourced: each change a fact on `schedule-<id>`, any past instant answerable. */
export class Schedules {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly runner: CommandRunner,
    private readonly users: Users,
  ) {}

  async create(
    input: {
      name: string;
      timeZone: string;
      layers?: Array<Omit<ScheduleLayerInput, 'id'> & { id?: string }>;
    },
    actor: EscalationActor,
    now: string,
  ): Promise<ScheduleView> {
    const scheduleId = newId();
    const layers = (input.layers ?? []).map((l) => ({ ...l, id: l.id ?? randomUUID() }));
    await this.users.assertExist(layers.flatMap((l) => (Array.isArray(l.users) ? l.users : [])));
    const metadata = { now, actor };
    return this.run(scheduleId, actor, now, [
      { type: 'CreateSchedule', data: { scheduleId, name: input.name, timeZone: input.timeZone }, metadata },
      ...layers.map((layer): ScheduleCommand => ({
        type: 'AddScheduleLayer',
        data: { scheduleId, layer },
        metadata,
      })),
    ]);
  }

  async get(id: string): Promise<ScheduleView> {
    const { state, version } = await this.runner.load(scheduleDecider, scheduleStreamId(id));
    if (state.status === 'none') throw notFound(id);
    return { ...scheduleOf(state), version };
  }

  async addLayer(
    id: string,
    layer: Omit<ScheduleLayerInput, 'id'> & { id?: string },
    actor: EscalationActor,
    now: string,
  ): Promise<ScheduleView> {
    await this.users.assertExist(Array.isArray(layer.users) ? layer.users : []);
    return this.one(id, actor, now, {
      type: 'AddScheduleLayer',
      data: { scheduleId: id, layer: { ...layer, id: layer.id ?? randomUUID() } },
    });
  }

  async changeLayer(id: string, layer: ScheduleLayerInput, actor: EscalationActor, now: string) {
    await this.users.assertExist(Array.isArray(layer.users) ? layer.users : []);
    return this.one(id, actor, now, { type: 'ChangeScheduleLayer', data: { scheduleId: id, layer } });
  }

  removeLayer(id: string, layerId: string, actor: EscalationActor, now: string) {
    return this.one(id, actor, now, { type: 'RemoveScheduleLayer', data: { scheduleId: id, layerId } });
  }

  async addOverride(
    id: string,
    override: Omit<ScheduleOverride, 'id'> & { id?: string },
    actor: EscalationActor,
    now: string,
  ) {
    await this.users.assertExist([override.userId]);
    return this.one(id, actor, now, {
      type: 'AddScheduleOverride',
      data: { scheduleId: id, override: { ...override, id: override.id ?? randomUUID() } },
    });
  }

  removeOverride(id: string, overrideId: string, actor: EscalationActor, now: string) {
    return this.one(id, actor, now, { type: 'RemoveScheduleOverride', data: { scheduleId: id, overrideId } });
  }

  /** The schedule's events with the instants they occurred, for answers about the past. */
  async history(id: string, db?: Pool | PoolClient): Promise<TimedScheduleEvent[]> {
    const events = await this.store.readStream(scheduleStreamId(id), {}, db);
    return events.map(
      (e) => ({ type: e.type, data: e.data, occurredAt: e.occurredAt }) as TimedScheduleEvent,
    );
  }

  /**
   * Who is on call at `at`, and why, under the schedule as it stood then (for a future instant, as it
   * stands now), with the user's name and Slack id.
   */
  async onCall(id: string, at: Date): Promise<OnCallView> {
    const history = await this.history(id);
    const schedule = scheduleAsOf(history, at);
    if (history.length === 0) throw notFound(id);
    if (schedule.status === 'none') {
      throw new EscalationError('InvalidRange', `Schedule ${id} did not exist yet at ${at.toISOString()}`);
    }
    const answer = whoIsOnCall(schedule, at);
    const people = await this.users.byIds([
      ...(answer.userId ? [answer.userId] : []),
      ...answer.layers.flatMap((l) => ('userId' in l ? [l.userId] : [])),
    ]);
    const user = answer.userId ? people.get(answer.userId) : undefined;
    return {
      scheduleId: id,
      ...answer,
      user: user ? { id: user.id, name: user.name, slackUserId: user.slackUserId ?? null } : null,
      explanation: explainOnCall(answer, schedule, (uid) => people.get(uid)?.name ?? uid),
    };
  }

  /** The on-call timeline of [from, to) under the schedule as it stands now. */
  async shifts(id: string, from: Date, to: Date): Promise<Shift[]> {
    const span = to.getTime() - from.getTime();
    if (!(span > 0)) throw new EscalationError('InvalidRange', '`to` must be after `from`');
    if (span > MAX_SHIFT_RANGE_DAYS * 86_400_000) {
      throw new EscalationError('InvalidRange', `A range is at most ${MAX_SHIFT_RANGE_DAYS} days long`);
    }
    const schedule = await this.get(id);
    return renderShifts(schedule, from, to);
  }

  /** The current state of every schedule among `ids` that exists. */
  async load(ids: Iterable<string>, db?: Pool | PoolClient): Promise<Map<string, Schedule>> {
    const wanted = [...new Set(ids)];
    const streams = await this.store.readStreams(
      wanted.map((id) => ({ streamId: scheduleStreamId(id) })),
      db,
    );
    const found = new Map<string, Schedule>();
    for (const id of wanted) {
      const events = streams.get(scheduleStreamId(id));
      if (!events) continue;
      const state = foldSchedule(events.map((e) => ({ type: e.type, data: e.data }) as ScheduleEvent));
      if (state.status === 'active') found.set(id, scheduleOf(state));
    }
    return found;
  }

  async exists(id: string, db?: Pool | PoolClient): Promise<boolean> {
    return (await this.store.streamVersion(scheduleStreamId(id), db)) > 0;
  }

  private one(id: string, actor: EscalationActor, now: string, command: Omit<ScheduleCommand, 'metadata'>) {
    return this.run(id, actor, now, [{ ...command, metadata: { now, actor } } as ScheduleCommand]);
  }

  private async run(id: string, actor: EscalationActor, now: string, commands: ScheduleCommand[]) {
    const result = await this.runner.handle(scheduleDecider, commands, {
      streamId: scheduleStreamId(id),
      metadata: metadataOf(actor),
      occurredAt: now,
    });
    if (result.state.status === 'none') throw notFound(id);
    return { ...scheduleOf(result.state), version: result.version };
  }
}
