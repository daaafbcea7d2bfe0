import { escapeMrkdwn, type IncidentCard, type PersonFormatter } from '../domain/blocks.js';
import type { SlackUserLookup } from './ports.js';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * Shows the people an incident card names as Slack mentions where their Slack id is known (a
 * Slack actor's id is one; a Vigil user's comes from the lookup), else by name.
 */
export const personFormatterFor = async (
  card: IncidentCard,
  users: SlackUserLookup,
): Promise<PersonFormatter> => {
  const ids = [card.acknowledgedBy, card.resolvedBy, card.roles.commander, card.roles.communications].filter(
    (id): id is string => id !== null,
  );
  const shown = new Map<string, string>();
  for (const id of new Set(ids)) {
    if (SLACK_USER_ID.test(id)) {
      shown.set(id, `<@${id}>`);
      continue;
    }
    const user = await users.byId(id).catch(() => null);
    shown.set(id, user?.slackUserId ? `<@${user.slackUserId}>` : escapeMrkdwn(user?.name ?? id));
  }
  return (id) => shown.get(id) ?? escapeMrkdwn(id);
};
