import type { Logger } from 'pino';
import {
  App,
  LogLevel,
  SocketModeReceiver,
  type BlockAction,
  type ButtonAction,
  type Logger as BoltLogger,
} from '@slack/bolt';
import { IncidentError } from '#vigil/incidents';
import {
  ACTION_ACK,
  ACTION_ESCALATE,
  ACTION_RESOLVE,
  ephemeral,
  parseButtonValue,
  shortRef,
  type IncidentAction,
} from '../domain/blocks.js';
import { helpText, parseIncidentCommand, USAGE } from '../domain/command-parser.js';
import { deliveryKeyOf, SOCKET_ENVELOPE_KINDS } from '../domain/delivery-key.js';
import { VigilReceiver } from '../bolt/vigil-receiver.js';
import type { SlackRuntime } from '../slack-runtime.js';
import type { SlackCommands, SlackInvocation } from './slack-commands.js';

const boltLogger = (log: Logger): BoltLogger => {
  const child = log.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => child.debug(m.join(' ')),
    info: (...m: unknown[]) => child.debug(m.join(' ')),
    warn: (...m: unknown[]) => child.warn(m.join(' ')),
    error: (...m: unknown[]) => child.error(m.join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
};

/**
 * Listeners see whether the gate let the request through (see VigilReceiver and SlackHttp). In
 * Socket Mode the WebSocket is authenticated by the app token, so there is no signature to check,
 * but Slack redelivers an envelope it thinks was not acknowledged: the redelivery is acknowledged
 * and not processed again.
 */
const admitted = (context: Record<string, unknown>): Promise<boolean> =>
  (context.admitted as Promise<boolean> | undefined) ?? Promise.resolve(false);

/** Over HTTP, Vigil's routes feed the VigilReceiver; in Socket Mode, Bolt's receiver holds a WebSocket. */
export type BoltReceiver =
  { mode: 'http'; receiver: VigilReceiver } | { mode: 'socket'; receiver: SocketModeReceiver };

/** True the first time a delivery (see deliveryKeyOf) is seen. */
export type AdmitDelivery = (deliveryKey: string | null) => Promise<boolean>;

const receiverFor = (slack: SlackRuntime, log: Logger, admitDelivery: AdmitDelivery): BoltReceiver => {
  const appToken = slack.config.appToken;
  if (appToken === null) return { mode: 'http', receiver: new VigilReceiver() };
  return {
    mode: 'socket',
    receiver: new SocketModeReceiver({
      appToken,
      logger: boltLogger(log),
      // No OAuth here (no clientId): these are only the options of the client that calls
      // apps.connections.open, which must go to SLACK_API_URL like every other call.
      installerOptions: { clientOptions: { slackApiUrl: slack.config.apiUrl } },
      customPropertiesExtractor: ({ type, body }: { type?: string; body?: Record<string, unknown> }) => {
        const kind = SOCKET_ENVELOPE_KINDS[type ?? ''];
        const key = kind && body ? deliveryKeyOf(kind, body) : null;
        return {
          admitted: admitDelivery(key).then(
            (fresh) => {
              if (!fresh) log.info({ deliveryKey: key }, 'Slack redelivered an envelope already taken');
              return fresh;
            },
            (err: unknown) => {
              log.error({ err }, 'Slack delivery dedupe unavailable; the envelope was not processed');
              return false;
            },
          ),
        };
      },
    }),
  };
};

/**
 * The Bolt app: one listener for the slash command (whatever it is named in Slack, usually
 * /incident), one per button action id, and app mentions. Every listener acknowledges first
 * and only then, once the request is admitted, touches the database.
 */
export const createBoltApp = (
  slack: SlackRuntime,
  commands: SlackCommands,
  log: Logger,
  admitDelivery: AdmitDelivery,
) => {
  const bolt = receiverFor(slack, log, admitDelivery);
  const app = new App({
    // The bot token as it is: with a plain `token`, Bolt would call auth.test inside every request
    // (uncached when verification is deferred), putting a Slack round trip before each ack.
    authorize: async () => ({ botToken: slack.config.botToken }),
    receiver: bolt.receiver,
    ignoreSelf: false,
    logger: boltLogger(log),
    clientOptions: {
      slackApiUrl: slack.config.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 10_000,
    },
  });

  app.command(/^\/.+/, async ({ command, ack, respond, context }) => {
    const parsed = parseIncidentCommand(command.text ?? '');
    // Usage errors and help need no database: they are the acknowledgement itself.
    if (!parsed.ok) {
      const usage =
        parsed.subcommand === null ? helpText(command.command) : helpText(command.command, parsed.subcommand);
      await ack(
        ephemeral(
          `${parsed.error}.\n${usage}${parsed.subcommand === null ? '' : `\nAll subcommands: \`${command.command} help\``}`,
        ),
      );
      return;
    }
    if (parsed.command.name === 'help') {
      await ack(ephemeral(helpText(command.command, parsed.command.topic)));
      return;
    }
    await ack();
    if (!(await admitted(context))) return;
    const from: SlackInvocation = {
      slackUserId: command.user_id,
      slackUserName: command.user_name,
      channelId: command.channel_id ?? null,
      triggerId: command.trigger_id ?? null,
      command: command.command,
    };
    await respond(await commands.run(parsed.command, from));
  });

  const onButton = (actionId: IncidentAction) =>
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, context }) => {
      await ack();
      if (!(await admitted(context))) return;
      const reply = async (text: string) => respond({ ...ephemeral(text), replace_original: false });
      const target = parseButtonValue(action.value);
      if (target === null) return void (await reply('This button does not name an incident.'));
      const from: SlackInvocation = {
        slackUserId: body.user.id,
        slackUserName: body.user.name,
        channelId: body.channel?.id ?? null,
        triggerId: body.trigger_id ?? null,
        command: '/incident',
      };
      const ref = `#${shortRef(target.incidentId)}`;
      try {
        const actor = await commands.actor(from);
        if (actionId === ACTION_ACK) {
          await commands.dispatch(from, actor, {
            type: 'AcknowledgeIncident',
            data: { incidentId: target.incidentId },
          });
        } else if (actionId === ACTION_RESOLVE) {
          // A Resolve button from before a reopen must not resolve the reopened incident.
          const loaded = await slack.loadIncident(target.incidentId);
          if (loaded === null) throw new IncidentError('IncidentNotFound', `Incident ${ref} does not exist`);
          if (loaded.state.reopenCount > 0 && loaded.version > target.version) {
            const then = await slack.loadIncidentAt(target.incidentId, target.version);
            if (then !== null && then.reopenCount !== loaded.state.reopenCount) {
              return void (await reply(
                `${ref} was reopened after this message was sent; it now shows the current state. Resolve it again if you mean to.`,
              ));
            }
          }
          await commands.dispatch(from, actor, {
            type: 'ResolveIncident',
            data: { incidentId: target.incidentId },
          });
        } else {
          await slack.escalation.escalateNow(target.incidentId, actor);
          await reply(`Escalated ${ref} to its next level.`);
        }
      } catch (error) {
        const explained = commands.explain(error, actionId);
        await reply(explained.text);
      }
    });
  onButton(ACTION_ACK);
  onButton(ACTION_ESCALATE);
  onButton(ACTION_RESOLVE);

  app.event('app_mention', async ({ event, say, context }) => {
    if (!(await admitted(context))) return;
    await say({
      text: `Use \`/incident\`: ${Object.keys(USAGE).join(', ')}. \`/incident help\` says more.`,
      thread_ts: event.thread_ts ?? event.ts,
    });
  });

  app.error(async (error) => {
    log.error({ err: error }, 'Slack listener failed');
  });

  return { app, ...bolt };
};
