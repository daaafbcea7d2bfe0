import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Clock } from '#vigil/common';
import { ConcurrencyError, newId, PreconditionFailedError } from '#vigil/event-store';
import {
  GetIncidentTimelineQuery,
  HandleIncidentCommand,
  IncidentError,
  type Actor,
  type CommandMetadata,
  type IncidentCommand,
} from '#vigil/incidents';
import { ephemeral, escapeMrkdwn, shortRef, statusReply, timelineReply } from '../domain/blocks.js';
import { helpText, type SlackSubcommand } from '../domain/command-parser.js';
import { personFormatterFor } from '../ports/people.js';
import { actorForSlackUser, SlackReplyError } from '../ports/ports.js';
import type { SlackRuntime } from '../slack-runtime.js';

/** Where a subcommand came from: who typed it, in which channel. */
export interface SlackInvocation {
  slackUserId: string;
  slackUserName?: string;
  channelId: string | null;
  /** Slack's trigger_id: the correlation id of the events it causes. */
  triggerId: string | null;
  command: string;
}

export type SlackReply = { response_type: 'ephemeral' | 'in_channel'; text: string; blocks?: unknown[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const asUuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/**
 * Runs `/incident` subcommands and button clicks. Incident changes go through the incident
 * decider on the CommandBus with the Slack user as actor and source 'slack'; escalation goes
 * through the escalation port. Everything a user should read comes back as a reply; nothing
 * fails silently.
 */
export class SlackCommands {
  constructor(
    private readonly slack: SlackRuntime,
    private readonly pool: Pool,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Runs a subcommand and answers what to tell the user; errors become readable replies. */
  async run(sub: SlackSubcommand, from: SlackInvocation): Promise<SlackReply> {
    try {
      return await this.execute(sub, from);
    } catch (error) {
      return this.explain(error, sub.name);
    }
  }

  explain(error: unknown, what: string): SlackReply {
    if (error instanceof SlackReplyError || error instanceof IncidentError) return ephemeral(error.message);
    if (error instanceof PreconditionFailedError || error instanceof ConcurrencyError) {
      return ephemeral('Someone changed the incident at the same moment; look at it again and retry.');
    }
    this.log.error({ err: error, subcommand: what }, 'Slack command failed');
    return ephemeral('Vigil could not do that just now; the error has been logged. Try again in a moment.');
  }

  private async execute(sub: SlackSubcommand, from: SlackInvocation): Promise<SlackReply> {
    if (sub.name === 'help') return ephemeral(helpText(from.command, sub.topic));
    if (sub.name === 'declare') {
      const incidentId = newId();
      const actor = await this.actor(from);
      const view = await this.dispatch(from, actor, {
        type: 'OpenIncident',
        data: {
          incidentId,
          title: sub.title,
          service: sub.service ?? 'unknown',
          severity: sub.severity ?? 'SEV3',
        },
      });
      return {
        response_type: 'in_channel',
        text: `<@${from.slackUserId}> declared *${view.severity}* incident #${shortRef(incidentId)} on ${escapeMrkdwn(view.service)}: ${escapeMrkdwn(view.title)}`,
      };
    }
    if (sub.name === 'oncall') {
      let service = sub.service;
      if (service === null) {
        const inChannel = from.channelId === null ? null : await this.incidentOfChannel(from.channelId);
        if (inChannel === null)
          throw new SlackReplyError(`Name a service: \`${from.command} oncall <service>\``);
        service = (await this.slack.loadCard(inChannel))?.service ?? null;
        if (service === null) throw new SlackReplyError('The incident of this channel was not found.');
      }
      const people = await this.slack.escalation.onCall(service, this.clock.now());
      if (people.length === 0) return ephemeral(`Nobody is on call for ${escapeMrkdwn(service)} right now.`);
      const names = people.map((p) => (p.slackUserId ? `<@${p.slackUserId}>` : escapeMrkdwn(p.name)));
      return ephemeral(`On call for ${escapeMrkdwn(service)}: ${names.join(', ')}`);
    }
    const incidentId = await this.resolveIncident(sub.ref, from);
    const ref = `#${shortRef(incidentId)}`;
    const actor = await this.actor(from);
    const change = async (command: Omit<IncidentCommand, 'metadata'>, done: string) => {
      await this.dispatch(from, actor, command);
      return ephemeral(`${done} ${ref}.`);
    };
    switch (sub.name) {
      case 'ack':
        return change({ type: 'AcknowledgeIncident', data: { incidentId } }, 'Acknowledged');
      case 'sev':
        return change(
          {
            type: 'ChangeIncidentSeverity',
            data: { incidentId, severity: sub.severity, ...(sub.reason ? { reason: sub.reason } : {}) },
          },
          `Severity set to ${sub.severity} on`,
        );
      case 'assign': {
        const assignee = await this.slack.users.bySlackId(sub.slackUserId);
        return change(
          {
            type: 'AssignIncidentRole',
            data: { incidentId, role: sub.role, assignee: assignee?.id ?? sub.slackUserId },
          },
          `<@${sub.slackUserId}> is now ${sub.role === 'commander' ? 'commander' : 'communications lead'} of`,
        );
      }
      case 'diagnose':
        return change(
          { type: 'RecordDiagnosis', data: { incidentId, diagnosis: sub.text } },
          'Diagnosis recorded on',
        );
      case 'remediate':
        return change(
          { type: 'StartRemediation', data: { incidentId, action: sub.text } },
          'Remediation recorded on',
        );
      case 'mitigate':
        return change(
          {
            type: 'MitigateIncident',
            data: { incidentId, ...(sub.summary ? { summary: sub.summary } : {}) },
          },
          'Mitigated',
        );
      case 'resolve':
        return change(
          { type: 'ResolveIncident', data: { incidentId, ...(sub.summary ? { summary: sub.summary } : {}) } },
          'Resolved',
        );
      case 'reopen':
        return change(
          { type: 'ReopenIncident', data: { incidentId, ...(sub.reason ? { reason: sub.reason } : {}) } },
          'Reopened',
        );
      case 'note':
        return change({ type: 'AddIncidentNote', data: { incidentId, text: sub.text } }, 'Note added to');
      case 'update':
        return change(
          { type: 'PostStatusUpdate', data: { incidentId, message: sub.text } },
          'Status update posted on',
        );
      case 'status': {
        const loaded = await this.slack.loadIncident(incidentId);
        if (loaded === null)
          throw new IncidentError('IncidentNotFound', `Incident ${incidentId} does not exist`);
        return statusReply(loaded.card, await personFormatterFor(loaded.card, this.slack.users));
      }
      case 'timeline': {
        const { items } = await this.queries.execute(new GetIncidentTimelineQuery(incidentId));
        return timelineReply(incidentId, items);
      }
      case 'escalate':
        await this.slack.escalation.escalateNow(incidentId, actor);
        return ephemeral(`Escalated ${ref} to its next level.`);
      case 'page': {
        await this.slack.escalation.page(incidentId, sub.target, actor);
        const who =
          sub.target.kind === 'user'
            ? `<@${sub.target.slackUserId}>`
            : `schedule ${escapeMrkdwn(sub.target.name)}`;
        return ephemeral(`Paging ${who} for ${ref}.`);
      }
    }
  }

  /** Runs an incident command as the Slack user, through the incident decider. */
  async dispatch(from: SlackInvocation, actor: Actor, command: Omit<IncidentCommand, 'metadata'>) {
    const metadata: CommandMetadata = { now: this.clock.iso(), actor, source: 'slack' };
    return this.commands.execute(
      new HandleIncidentCommand({ ...command, metadata } as IncidentCommand, {
        ...(from.triggerId ? { correlationId: `slack:${from.triggerId}` } : {}),
      }),
    );
  }

  actor(from: SlackInvocation): Promise<Actor> {
    return actorForSlackUser(this.slack.users, from.slackUserId, from.slackUserName);
  }

  private async incidentOfChannel(channelId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ incident_id: string }>(
      `SELECT incident_id FROM slack_incidents WHERE channel_id = $1`,
      [channelId],
    );
    return rows[0]?.incident_id ?? null;
  }

  /**
   * The incident a command is about: the one named by `#ref` (its full id, or the first or last
   * hex digits of it), or the incident whose channel the command was typed in.
   */
  async resolveIncident(ref: string | null, from: SlackInvocation): Promise<string> {
    if (ref === null) {
      const inChannel = from.channelId === null ? null : await this.incidentOfChannel(from.channelId);
      if (inChannel !== null) return inChannel;
      throw new SlackReplyError(
        `This is not an incident channel: name the incident, e.g. \`${from.command} ack #1a2b3c4d\` (the id shown on its messages).`,
      );
    }
    const hex = ref.replace(/-/g, '');
    if (!/^[0-9a-f]+$/.test(hex)) throw new SlackReplyError(`#${ref} is not an incident id.`);
    if (hex.length === 32 && UUID.test(asUuid(hex))) return asUuid(hex);
    const reversed = [...hex].reverse().join('');
    const { rows } = await this.pool.query<{ incident_id: string }>(
      `SELECT incident_id FROM slack_incidents
       WHERE replace(incident_id::text, '-', '') LIKE $1 || '%'
          OR reverse(replace(incident_id::text, '-', '')) LIKE $2 || '%'
       ORDER BY incident_id DESC LIMIT 6`,
      [hex, reversed],
    );
    if (rows.length === 1) return rows[0]!.incident_id;
    if (rows.length === 0)
      throw new SlackReplyError(`No incident matches #${ref}. Use the id shown on its messages.`);
    const shown = rows.slice(0, 5).map((r) => `#${r.incident_id}`);
    throw new SlackReplyError(
      `#${ref} matches more than one incident (${shown.join(', ')}${rows.length > 5 ? ', …' : ''}); give more of the id.`,
    );
  }
}
