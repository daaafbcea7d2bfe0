/** The three kinds of request Slack sends an app, over HTTP or in Socket Mode. */
export type SlackRequestKind = 'command' | 'interaction' | 'event';

/** The kind of request a Socket Mode envelope of each type carries. */
export const SOCKET_ENVELOPE_KINDS: Readonly<Record<string, SlackRequestKind>> = {
  slash_commands: 'command',
  interactive: 'interaction',
  events_api: 'event',
};

/**
 * What identifies one delivery across Slack's retries: an event's event_id, a command's or an
 * interaction's trigger_id. Null when the body has none (nothing to deduplicate it by).
 */
export const deliveryKeyOf = (kind: SlackRequestKind, body: Record<string, unknown>): string | null => {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' && v.length <= 200 ? v : null);
  if (kind === 'event') {
    const id = text(body.event_id);
    return id === null ? null : `event:${id}`;
  }
  const trigger = text(body.trigger_id);
  return trigger === null ? null : `${kind}:${trigger}`;
};
