import { describeEvent, INCIDENT_EVENT_TYPES, type IncidentEvent } from '#vigil/incidents';
import { escapeMrkdwn } from './blocks.js';

/**
 * The escalation engine's page: who was paged for which incident, at which level. `slackUserId`
 * null means the person has no Slack id; `channelId` set means a channel target.
 */
export interface ResponderPagedData {
  incidentId: string;
  /** Null for a page by hand (`/incident page`). */
  level: number | null;
  userId: string | null;
  slackUserId: string | null;
  channelId?: string | null;
}

/** One Slack side effect an event calls for; the outbox keeps one row per (event, action). */
export type SlackAction =
  | { action: 'channel.create'; incidentId: string; openedBy: ActorRef | null }
  | {
      action: 'page.send';
      incidentId: string;
      level: number | null;
      userId: string | null;
      slackUserId: string | null;
      channelId: string | null;
    }
  | { action: 'channel.invite'; incidentId: string; slackUserIds: string[] }
  | { action: 'incident.refresh'; incidentId: string }
  | { action: 'channel.post'; incidentId: string; text: string };

export type SlackActionName = SlackAction['action'];

export interface ActorRef {
  kind: string;
  id: string;
  name?: string;
}

/** What the planner knows of an event: the stored fact and who caused it. */
export interface PlannedEvent {
  type: string;
  data: unknown;
  metadata: { actor?: ActorRef };
}

/** Status changes re-render every message of the incident and the channel topic. */
const REFRESHING = new Set<string>([
  'IncidentAcknowledged',
  'IncidentSeverityChanged',
  'IncidentMitigated',
  'IncidentResolved',
  'IncidentReopened',
  'IncidentRoleAssigned',
  'IncidentStatusUpdatePosted',
]);

const INCIDENT_TYPES = new Set<string>(INCIDENT_EVENT_TYPES);

/** Slack users appear as mentions; anyone else by the name they acted under. */
export const actorLabel = (actor: ActorRef | undefined, id: string): string => {
  if (/^[UW][A-Z0-9]{2,}$/.test(id) && (actor === undefined || actor.id !== id || actor.kind === 'slack')) {
    return `<@${id}>`;
  }
  if (actor !== undefined && actor.id === id) return escapeMrkdwn(actor.name ?? id);
  return escapeMrkdwn(id);
};

/**
 * The Slack actions one committed event calls for, and whether the incident wants a channel
 * after it. `channelWanted` is the incident's state before the event (false for a new incident).
 * Pure: the outbox projection stores the answer in the same transaction as its checkpoint.
 */
export const planSlackActions = (
  event: PlannedEvent,
  incidentChannel: { wanted: boolean },
  channelSeverities: readonly string[],
): { actions: SlackAction[]; channelWanted: boolean } => {
  let wanted = incidentChannel.wanted;
  const actions: SlackAction[] = [];
  if (event.type === 'ResponderPaged') {
    const data = event.data as ResponderPagedData;
    const incidentId = data.incidentId;
    const channelId = data.channelId ?? null;
    if (data.slackUserId !== null || channelId !== null) {
      actions.push({
        action: 'page.send',
        incidentId,
        level: data.level ?? null,
        userId: data.userId ?? null,
        slackUserId: data.slackUserId,
        channelId,
      });
    }
    if (wanted) {
      if (data.slackUserId !== null) {
        actions.push({ action: 'channel.invite', incidentId, slackUserIds: [data.slackUserId] });
      }
      const who =
        data.slackUserId !== null
          ? `<@${data.slackUserId}>`
          : channelId !== null
            ? `<#${channelId}>`
            : escapeMrkdwn(data.userId ?? 'someone');
      actions.push({
        action: 'channel.post',
        incidentId,
        text: `:pager: Paged ${who} ${typeof data.level === 'number' ? `(level ${data.level})` : 'by hand'}${data.slackUserId === null && channelId === null ? ', who has no Slack id' : ''}`,
      });
    }
    return { actions, channelWanted: wanted };
  }
  if (event.type === 'EscalationExhausted') {
    const incidentId = (event.data as { incidentId: string }).incidentId;
    if (wanted) {
      actions.push({
        action: 'channel.post',
        incidentId,
        text: ':warning: Escalation exhausted: every level was paged and nobody acknowledged',
      });
    }
    return { actions, channelWanted: wanted };
  }
  if (!INCIDENT_TYPES.has(event.type)) return { actions, channelWanted: wanted };

  const incident = event as unknown as IncidentEvent;
  const incidentId = incident.data.incidentId;
  const actor = event.metadata.actor;
  if (incident.type === 'IncidentOpened' && channelSeverities.includes(incident.data.severity)) {
    wanted = true;
    actions.push({ action: 'channel.create', incidentId, openedBy: actor ?? null });
  }
  if (
    incident.type === 'IncidentSeverityChanged' &&
    !wanted &&
    channelSeverities.includes(incident.data.to)
  ) {
    wanted = true;
    actions.push({ action: 'channel.create', incidentId, openedBy: actor ?? null });
  }
  if (REFRESHING.has(incident.type)) actions.push({ action: 'incident.refresh', incidentId });
  if (wanted) {
    // describeEvent writes plain text: escape it, then put the people back as mentions or names.
    const people: string[] = [];
    const line = describeEvent(incident, (id) => `\u0000${people.push(id) - 1}\u0000`);
    const text = escapeMrkdwn(line).replace(/\u0000(\d+)\u0000/g, (_, n: string) =>
      actorLabel(actor, people[Number(n)] ?? ''),
    );
    actions.push({ action: 'channel.post', incidentId, text });
  }
  return { actions, channelWanted: wanted };
};
