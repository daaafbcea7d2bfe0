import type { IncidentRole, IncidentStatus, OpenedIncident, Severity } from '#vigil/incidents';

/** Action ids of the buttons on incident messages: one Bolt listener per id. */
export const ACTION_ACK = 'incident-ack';
export const ACTION_ESCALATE = 'incident-escalate';
export const ACTION_RESOLVE = 'incident-resolve';
export const INCIDENT_ACTIONS = [ACTION_ACK, ACTION_ESCALATE, ACTION_RESOLVE] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

/** What an incident message shows: the incident's state plus who did what, by name. */
export interface IncidentCard {
  id: string;
  title: string;
  service: string;
  severity: Severity;
  status: IncidentStatus;
  version: number;
  openedAt: string;
  roles: Record<IncidentRole, string | null>;
  acknowledgedBy: string | null;
  resolvedBy: string | null;
  lastStatusUpdate: string | null;
}

type Fact = { type: string; data: unknown };

/** The card of an incident from its folded state and its events (which name who acknowledged and resolved). */
export const cardOf = (state: OpenedIncident, version: number, events: readonly Fact[]): IncidentCard => {
  const lastBy = (type: string, field: string): string | null => {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === type) return ((e.data as Record<string, unknown>)[field] as string | undefined) ?? null;
      if (e.type === 'IncidentReopened') return null;
    }
    return null;
  };
  return {
    id: state.id,
    title: state.title,
    service: state.service,
    severity: state.severity,
    status: state.status,
    version,
    openedAt: state.openedAt,
    roles: state.roles,
    acknowledgedBy:
      state.milestones.acknowledgedAt === null ? null : lastBy('IncidentAcknowledged', 'acknowledgedBy'),
    resolvedBy: state.status === 'resolved' ? lastBy('IncidentResolved', 'resolvedBy') : null,
    lastStatusUpdate: state.lastStatusUpdate?.message ?? null,
  };
};

/** The short reference shown in messages: the last 8 hex digits (the random end of a UUIDv7). */
export const shortRef = (incidentId: string): string => incidentId.replace(/-/g, '').slice(-8);

/** Escapes text for Slack's mrkdwn: only &, < and > are special. */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const STATUS_LABEL: Record<IncidentStatus, string> = {
  triggered: 'Triggered',
  acknowledged: 'Acknowledged',
  investigating: 'Investigating',
  mitigated: 'Mitigated',
  resolved: 'Resolved',
};

const STATUS_EMOJI: Record<IncidentStatus, string> = {
  triggered: ':red_circle:',
  acknowledged: ':large_orange_circle:',
  investigating: ':large_yellow_circle:',
  mitigated: ':large_blue_circle:',
  resolved: ':white_check_mark:',
};

/** How a person is shown: a Slack mention when their Slack id is known, else their name. */
export type PersonFormatter = (actorId: string) => string;
const plain: PersonFormatter = (id) => escapeMrkdwn(id);

export interface Block {
  type: string;
  [key: string]: unknown;
}

export interface SlackMessage {
  /** The notification and accessibility text; Slack wants it even with blocks. */
  text: string;
  blocks: Block[];
}

const button = (actionId: IncidentAction, text: string, value: string, style?: 'primary' | 'danger') => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text, emoji: true },
  value,
  ...(style ? { style } : {}),
});

/** The buttons an incident in this status offers; a resolved incident offers none. */
export const buttonsFor = (status: IncidentStatus): IncidentAction[] => {
  switch (status) {
    case 'triggered':
      return [ACTION_ACK, ACTION_ESCALATE, ACTION_RESOLVE];
    case 'acknowledged':
    case 'investigating':
    case 'mitigated':
      return [ACTION_ESCALATE, ACTION_RESOLVE];
    case 'resolved':
      return [];
  }
};

/** A button's value: the incident and the version the message showed, `<id>:<version>`. */
export const buttonValue = (incidentId: string, version: number): string => `${incidentId}:${version}`;

export const parseButtonValue = (value: unknown): { incidentId: string; version: number } | null => {
  if (typeof value !== 'string') return null;
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,9})$/i.exec(value);
  return match ? { incidentId: match[1]!.toLowerCase(), version: Number(match[2]) } : null;
};

/**
 * An incident as a Block Kit message: headline, facts, and the buttons its status allows. Used
 * for pages (a DM or a channel) and for the status message pinned at the top of the incident
 * channel; both are edited in place (chat.update) as the incident changes.
 */
export const incidentMessage = (
  card: IncidentCard,
  /** `level` null: a page by hand. */
  options: { kind: 'page' | 'channel'; level?: number | null; person?: PersonFormatter },
): SlackMessage => {
  const person = options.person ?? plain;
  const status = STATUS_LABEL[card.status];
  const ref = shortRef(card.id);
  const headline =
    options.kind === 'page' && card.status === 'triggered'
      ? `:rotating_light: You are paged: *${card.severity}* ${escapeMrkdwn(card.title)}`
      : `${STATUS_EMOJI[card.status]} *${card.severity} · ${status}* ${escapeMrkdwn(card.title)}`;
  const statusLine =
    card.status === 'resolved' && card.resolvedBy !== null
      ? `Resolved by ${person(card.resolvedBy)}`
      : card.acknowledgedBy !== null && card.status !== 'triggered'
        ? `${status}; acknowledged by ${person(card.acknowledgedBy)}`
        : status;
  const fields = [
    { type: 'mrkdwn', text: `*Status*\n${statusLine}` },
    { type: 'mrkdwn', text: `*Severity*\n${card.severity}` },
    { type: 'mrkdwn', text: `*Service*\n${escapeMrkdwn(card.service)}` },
    {
      type: 'mrkdwn',
      text: `*Commander*\n${card.roles.commander === null ? '_none_' : person(card.roles.commander)}`,
    },
  ];
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
    { type: 'section', fields },
  ];
  if (card.lastStatusUpdate !== null) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Latest update*\n${escapeMrkdwn(truncate(card.lastStatusUpdate, 2900))}`,
      },
    });
  }
  const context = [
    `Incident #${ref}`,
    `opened <!date^${Math.floor(Date.parse(card.openedAt) / 1000)}^{date_short_pretty} {time}|${card.openedAt}>`,
  ];
  if (options.level !== undefined) {
    context.push(options.level === null ? 'paged by hand' : `paged at level ${options.level}`);
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  const actions = buttonsFor(card.status);
  if (actions.length > 0) {
    const value = buttonValue(card.id, card.version);
    blocks.push({
      type: 'actions',
      block_id: `incident-actions:${card.id}`,
      elements: actions.map((a) =>
        a === ACTION_ACK
          ? button(a, 'Acknowledge', value, 'primary')
          : a === ACTION_ESCALATE
            ? button(a, 'Escalate', value)
            : button(a, 'Resolve', value, 'danger'),
      ),
    });
  }
  const text = `[${card.severity}] ${status}: ${card.title} (#${ref})`;
  return { text: truncate(text, 3000), blocks };
};

/** The incident channel's topic: severity, status, title and commander, within Slack's 250 characters. */
export const topicOf = (card: IncidentCard, commanderName: string | null = card.roles.commander): string =>
  truncate(
    [
      card.severity,
      STATUS_LABEL[card.status],
      card.title,
      commanderName === null ? null : `IC ${commanderName}`,
    ]
      .filter((p) => p !== null)
      .join(' | '),
    250,
  );

/** `inc-<ref>-<slug of the title>`: lower-case letters, digits and hyphens, at most 80 characters. */
export const channelNameOf = (incidentId: string, title: string): string => {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `inc-${shortRef(incidentId)}${slug ? `-${slug}` : ''}`.slice(0, 80).replace(/-+$/, '');
};

export const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** An ephemeral reply (only the person who typed the command sees it). */
export const ephemeral = (text: string, blocks?: Block[]) => ({
  response_type: 'ephemeral' as const,
  text,
  ...(blocks ? { blocks } : {}),
});

/** The reply to `/incident status`. */
export const statusReply = (card: IncidentCard, person: PersonFormatter = plain) => {
  const message = incidentMessage(card, { kind: 'channel', person });
  return ephemeral(message.text, message.blocks);
};

/** The reply to `/incident timeline`: the last `limit` entries, oldest first. */
export const timelineReply = (
  incidentId: string,
  entries: ReadonlyArray<{ occurredAt: string; summary: string }>,
  limit = 30,
) => {
  const shown = entries.slice(-limit);
  const lines = shown.map(
    (e) =>
      `• <!date^${Math.floor(Date.parse(e.occurredAt) / 1000)}^{time}|${e.occurredAt}> ${escapeMrkdwn(e.summary)}`,
  );
  const skipped = entries.length - shown.length;
  const head = `Timeline of #${shortRef(incidentId)}${skipped > 0 ? ` (last ${shown.length} of ${entries.length})` : ''}`;
  return ephemeral(truncate([head, ...lines].join('\n'), 3900));
};
