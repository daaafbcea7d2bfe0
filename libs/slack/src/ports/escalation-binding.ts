import type { Pool } from 'pg';
import { EscalationError, type EscalationRuntime } from '#vigil/escalation';
import type { Actor } from '#vigil/incidents';
import type { PageTarget } from '../domain/command-parser.js';
import type { SlackRuntime } from '../slack-runtime.js';
import {
  SlackReplyError,
  type EscalationPort,
  type OnCallResponder,
  type SlackUser,
  type SlackUserLookup,
} from './ports.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The escalation lib's refusals are written for people: Slack shows them as they are. */
const readable = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    if (error instanceof EscalationError) throw new SlackReplyError(error.message);
    throw error;
  }
};

const slackUserOf = (u: { id: string; name: string; slackUserId: string | null } | null): SlackUser | null =>
  u === null ? null : { id: u.id, name: u.name, slackUserId: u.slackUserId };

/** Vigil's users (escalation's `Users`) as the Slack app looks them up. */
export class EscalationUsers implements SlackUserLookup {
  constructor(private readonly escalation: EscalationRuntime) {}

  async bySlackId(slackUserId: string): Promise<SlackUser | null> {
    return slackUserOf(await this.escalation.users.bySlackId(slackUserId));
  }

  async byId(userId: string): Promise<SlackUser | null> {
    return slackUserOf(await this.escalation.users.get(userId));
  }
}

/** `Escalations` behind the Slack app's port: Slack mentions and schedule names become Vigil ids. */
export class EscalationsPort implements EscalationPort {
  constructor(
    private readonly escalation: EscalationRuntime,
    private readonly pool: Pool,
  ) {}

  escalateNow(incidentId: string, actor: Actor): Promise<void> {
    return readable(() => this.escalation.escalations.escalateNow(incidentId, actor, { source: 'slack' }));
  }

  async onCall(service: string, at?: Date): Promise<OnCallResponder[]> {
    const answer = await readable(() => this.escalation.escalations.onCall(service, at));
    if (answer.policy === null) {
      throw new SlackReplyError(
        `No escalation policy is attached to ${service}, so nobody is on call for it.`,
      );
    }
    return answer.users.map((u) => ({ userId: u.userId, name: u.name, slackUserId: u.slackUserId }));
  }

  async page(incidentId: string, target: PageTarget, actor: Actor): Promise<void> {
    if (target.kind === 'user') {
      const user = await this.escalation.users.bySlackId(target.slackUserId);
      if (user === null) {
        throw new SlackReplyError(
          `<@${target.slackUserId}> is not a Vigil user yet: add them with their Slack id (POST /v1/users) to page them.`,
        );
      }
      await readable(() =>
        this.escalation.escalations.page(incidentId, { userId: user.id }, actor, { source: 'slack' }),
      );
      return;
    }
    const scheduleId = UUID.test(target.name)
      ? target.name.toLowerCase()
      : await this.scheduleNamed(target.name);
    await readable(() =>
      this.escalation.escalations.page(incidentId, { scheduleId }, actor, { source: 'slack' }),
    );
  }

  /**
   * A schedule by its name, from the log (a schedule's name is set when it is created and never
   * changes). The log has no index for this; it is a rare, interactive lookup, after the ack.
   */
  private async scheduleNamed(name: string): Promise<string> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT DISTINCT data->>'scheduleId' AS id FROM events
       WHERE stream_type = 'schedule' AND type = 'ScheduleCreated' AND lower(data->>'name') = lower($1)
       LIMIT 2`,
      [name],
    );
    if (rows.length === 0) throw new SlackReplyError(`No schedule is named "${name}".`);
    if (rows.length > 1)
      throw new SlackReplyError(`More than one schedule is named "${name}"; page it by its id.`);
    return rows[0]!.id;
  }
}

/** Binds the Slack app to the escalation lib: its users, and its escalations. */
export const bindEscalation = (slack: SlackRuntime, escalation: EscalationRuntime, pool: Pool): void => {
  slack.users = new EscalationUsers(escalation);
  slack.escalation = new EscalationsPort(escalation, pool);
};
