import type { Actor } from '#vigil/incidents';
import type { PageTarget } from '../domain/command-parser.js';

/** A Vigil user as Slack needs to know them. */
export interface SlackUser {
  id: string;
  name: string;
  slackUserId?: string | null;
}

/**
 * Maps Slack user ids to Vigil users and back (the escalation lib's `Users` answers this).
 * A Slack user it does not know still acts, as actor kind 'slack' with their Slack id.
 */
export interface SlackUserLookup {
  bySlackId(slackUserId: string): Promise<SlackUser | null>;
  byId(userId: string): Promise<SlackUser | null>;
}

export interface OnCallResponder {
  userId: string;
  name: string;
  slackUserId: string | null;
}

/**
 * What `/incident escalate`, `oncall` and `page` (and the Escalate button) need from the
 * escalation engine; `Escalations` in #vigil/escalation has these method names.
 */
export interface EscalationPort {
  escalateNow(incidentId: string, actor: Actor): Promise<void>;
  onCall(service: string, at?: Date): Promise<OnCallResponder[]>;
  page(incidentId: string, target: PageTarget, actor: Actor): Promise<void>;
}

/** An error whose message is fit to show the Slack user as it is. */
export class SlackReplyError extends Error {
  override readonly name = 'SlackReplyError';
}

/** Until the escalation engine is bound, its subcommands say so instead of failing silently. */
export class EscalationNotConfigured implements EscalationPort {
  private fail(): never {
    throw new SlackReplyError(
      'Escalation is not configured in this Vigil, so there is nothing to escalate, page or ask.',
    );
  }
  async escalateNow(): Promise<void> {
    this.fail();
  }
  async onCall(): Promise<OnCallResponder[]> {
    this.fail();
  }
  async page(): Promise<void> {
    this.fail();
  }
}

/** Knows no Vigil users: every Slack user acts under their Slack id. */
export class NoSlackUsers implements SlackUserLookup {
  async bySlackId(): Promise<SlackUser | null> {
    return null;
  }
  async byId(): Promise<SlackUser | null> {
    return null;
  }
}

/** The actor a Slack user acts as: their Vigil user when mapped (kind 'user'), else their Slack id. */
export const actorForSlackUser = async (
  users: SlackUserLookup,
  slackUserId: string,
  slackName?: string,
): Promise<Actor> => {
  const user = await users.bySlackId(slackUserId);
  if (user !== null) return { kind: 'user', id: user.id, name: user.name };
  return { kind: 'slack', id: slackUserId, ...(slackName ? { name: slackName } : {}) };
};
