import type { IncidentRole, Severity } from '#vigil/incidents';

/** Who or what `/incident page` reaches: a Slack user by id, or an on-call schedule by name. */
export type PageTarget = { kind: 'user'; slackUserId: string } | { kind: 'schedule'; name: string };

/**
 * One parsed `/incident` subcommand. `ref` is the `#id` the user typed (lower-case, without the
 * `#`), or null when the incident should come from the channel the command was run in.
 */
export type SlackSubcommand =
  | { name: 'declare'; title: string; severity: Severity | null; service: string | null }
  | { name: 'ack'; ref: string | null }
  | { name: 'status'; ref: string | null }
  | { name: 'sev'; ref: string | null; severity: Severity; reason: string | null }
  | { name: 'assign'; ref: string | null; slackUserId: string; role: IncidentRole }
  | { name: 'diagnose'; ref: string | null; text: string }
  | { name: 'remediate'; ref: string | null; text: string }
  | { name: 'mitigate'; ref: string | null; summary: string | null }
  | { name: 'resolve'; ref: string | null; summary: string | null }
  | { name: 'reopen'; ref: string | null; reason: string | null }
  | { name: 'note'; ref: string | null; text: string }
  | { name: 'update'; ref: string | null; text: string }
  | { name: 'escalate'; ref: string | null }
  | { name: 'timeline'; ref: string | null }
  | { name: 'oncall'; service: string | null }
  | { name: 'page'; ref: string | null; target: PageTarget }
  | { name: 'help'; topic: SubcommandName | null };

export type SubcommandName = SlackSubcommand['name'];

export type ParsedCommand =
  | { ok: true; command: SlackSubcommand }
  /** `subcommand` is set when the subcommand was known but its arguments were wrong. */
  | { ok: false; error: string; subcommand: SubcommandName | null };

/** One usage line per subcommand, in the order `/incident help` lists them. */
export const USAGE: Readonly<Record<SubcommandName, { args: string; does: string }>> = {
  declare: { args: '<title> [sev1-4] [service]', does: 'declare an incident (SEV3 by default)' },
  ack: { args: '[#id]', does: 'acknowledge' },
  status: { args: '[#id]', does: 'show status, severity, roles and milestones' },
  sev: { args: '[#id] <1-4> [reason]', does: 'change the severity' },
  assign: { args: '[#id] <@user> <commander|communications>', does: 'assign a role' },
  diagnose: { args: '[#id] <text>', does: 'record a diagnosis' },
  remediate: { args: '[#id] <text>', does: 'record a remediation under way' },
  mitigate: { args: '[#id] [summary]', does: 'mark mitigated' },
  resolve: { args: '[#id] [summary]', does: 'resolve' },
  reopen: { args: '[#id] [reason]', does: 'reopen a resolved incident' },
  note: { args: '[#id] <text>', does: 'add a note to the timeline' },
  update: { args: '[#id] <text>', does: 'post a status update' },
  escalate: { args: '[#id]', does: 'escalate to the next level now' },
  timeline: { args: '[#id]', does: 'show the timeline' },
  oncall: { args: '[service]', does: "show who is on call (the incident's service in its channel)" },
  page: { args: '[#id] <@user|schedule>', does: 'page a person or a schedule' },
  help: { args: '[subcommand]', does: 'show this help' },
};

const SUBCOMMANDS = Object.keys(USAGE) as SubcommandName[];

const ALIASES: Readonly<Record<string, SubcommandName>> = {
  acknowledge: 'ack',
  severity: 'sev',
  diagnosis: 'diagnose',
  remediation: 'remediate',
  mitigated: 'mitigate',
  resolved: 'resolve',
  'on-call': 'oncall',
  notes: 'note',
  '?': 'help',
};

const ROLE_ALIASES: Readonly<Record<string, IncidentRole>> = {
  commander: 'commander',
  ic: 'commander',
  'incident-commander': 'commander',
  communications: 'communications',
  comms: 'communications',
  'communications-lead': 'communications',
};

export const MAX_TITLE_LENGTH = 200;
export const MAX_TEXT_LENGTH = 5000;

/** `#` and 4 to 36 characters of an incident id (hex digits, dashes allowed as in a UUID). */
const REF = /^#([0-9a-f][0-9a-f-]{3,35})$/i;
const DECLARE_SEVERITY = /^sev-?([1-4])$/i;
const SEVERITY = /^(?:sev-?)?([1-4])$/i;
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;
/** A user mention as Slack escapes it in command text: `<@U123>` or `<@U123|name>`. */
const MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const SCHEDULE = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,99}$/;

const fail = (error: string, subcommand: SubcommandName | null = null): ParsedCommand => ({
  ok: false,
  error,
  subcommand,
});
const ok = (command: SlackSubcommand): ParsedCommand => ({ ok: true, command });

/** Splits off the first whitespace-separated word. */
const head = (text: string): [string, string] => {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  return match ? [match[1]!, match[2]!.trim()] : ['', ''];
};

const severityOf = (digit: string) => `SEV${digit}` as Severity;

const refOf = (rest: string): { ref: string | null; rest: string } => {
  const [first, after] = head(rest);
  const match = REF.exec(first);
  if (!match) return { ref: null, rest };
  return { ref: match[1]!.toLowerCase(), rest: after };
};

const optional = (text: string): string | null => (text === '' ? null : text);

const freeText = (name: SubcommandName, text: string, what: string): string | ParsedCommand => {
  if (text === '') return fail(`${name} needs ${what}`, name);
  if (text.length > MAX_TEXT_LENGTH)
    return fail(`${what} is longer than ${MAX_TEXT_LENGTH} characters`, name);
  return text;
};

/**
 * Parses the text after `/incident`. Never throws: anything it cannot read becomes an error that
 * names the subcommand, so the reply can show that subcommand's usage.
 */
export const parseIncidentCommand = (input: string): ParsedCommand => {
  const text = input.replace(/\u0000/g, '').trim();
  if (text === '') return ok({ name: 'help', topic: null });
  const [word, afterWord] = head(text);
  const lower = word.toLowerCase();
  const name = (SUBCOMMANDS as string[]).includes(lower) ? (lower as SubcommandName) : ALIASES[lower];
  if (name === undefined) return fail(`"${word}" is not an /incident subcommand`);

  if (name === 'help') {
    if (afterWord === '') return ok({ name: 'help', topic: null });
    const topicWord = head(afterWord)[0].toLowerCase();
    const topic = (SUBCOMMANDS as string[]).includes(topicWord)
      ? (topicWord as SubcommandName)
      : ALIASES[topicWord];
    return topic === undefined ? fail(`"${topicWord}" is not an /incident subcommand`) : ok({ name, topic });
  }
  if (name === 'declare') return parseDeclare(afterWord);
  if (name === 'oncall') {
    if (afterWord === '') return ok({ name, service: null });
    if (!SERVICE.test(afterWord)) return fail(`"${afterWord}" is not a service name`, name);
    return ok({ name, service: afterWord });
  }

  const { ref, rest } = refOf(afterWord);
  switch (name) {
    case 'ack':
    case 'status':
    case 'escalate':
    case 'timeline':
      return rest === '' ? ok({ name, ref }) : fail(`${name} takes no text besides an optional #id`, name);
    case 'mitigate':
    case 'resolve':
      return rest.length > MAX_TEXT_LENGTH
        ? fail(`the summary is longer than ${MAX_TEXT_LENGTH} characters`, name)
        : ok({ name, ref, summary: optional(rest) });
    case 'reopen':
      return rest.length > 2000
        ? fail('the reason is longer than 2000 characters', name)
        : ok({ name, ref, reason: optional(rest) });
    case 'sev': {
      const [level, reason] = head(rest);
      const match = SEVERITY.exec(level);
      if (!match)
        return fail(
          level === '' ? 'sev needs a level from 1 to 4' : `"${level}" is not a severity from 1 to 4`,
          name,
        );
      return ok({ name, ref, severity: severityOf(match[1]!), reason: optional(reason) });
    }
    case 'assign': {
      const [who, afterWho] = head(rest);
      const [roleWord, extra] = head(afterWho);
      const mention = MENTION.exec(who);
      if (!mention) {
        return fail(
          who === ''
            ? 'assign needs a person and a role'
            : `"${who}" is not a Slack mention; type @ and pick the person`,
          name,
        );
      }
      const role = ROLE_ALIASES[roleWord.toLowerCase()];
      if (role === undefined) {
        return fail(
          roleWord === ''
            ? 'assign needs a role: commander or communications'
            : `"${roleWord}" is not a role: use commander or communications`,
          name,
        );
      }
      if (extra !== '') return fail('assign takes a person and a role, nothing more', name);
      return ok({ name, ref, slackUserId: mention[1]!, role });
    }
    case 'diagnose':
    case 'remediate':
    case 'note':
    case 'update': {
      const what =
        name === 'diagnose'
          ? 'a diagnosis'
          : name === 'remediate'
            ? 'an action'
            : name === 'note'
              ? 'a note'
              : 'a status update';
      const checked = freeText(name, rest, what);
      return typeof checked === 'string' ? ok({ name, ref, text: checked }) : checked;
    }
    case 'page': {
      if (rest === '') return fail('page needs a person (@mention) or a schedule name', name);
      const mention = MENTION.exec(rest);
      if (mention) return ok({ name, ref, target: { kind: 'user', slackUserId: mention[1]! } });
      if (rest.startsWith('@') || rest.startsWith('<@')) {
        return fail(`"${rest}" is not a Slack mention; type @ and pick the person`, name);
      }
      if (!SCHEDULE.test(rest)) return fail(`"${rest}" is not a schedule name`, name);
      return ok({ name, ref, target: { kind: 'schedule', name: rest } });
    }
  }
};

const parseDeclare = (text: string): ParsedCommand => {
  let title: string;
  let tail: string[];
  if (text.startsWith('"')) {
    const end = text.indexOf('"', 1);
    if (end < 0) return fail('the title has no closing quote', 'declare');
    title = text.slice(1, end).trim();
    tail = text
      .slice(end + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (tail.length > 2) return fail('after a quoted title come only [sev1-4] [service]', 'declare');
  } else {
    const words = text.split(/\s+/).filter(Boolean);
    // Trailing "sev2" or "sev2 payments" are options; everything before them is the title.
    const last = words.at(-1) ?? '';
    const second = words.at(-2) ?? '';
    const optionCount = DECLARE_SEVERITY.test(last)
      ? 1
      : words.length >= 3 && DECLARE_SEVERITY.test(second) && SERVICE.test(last)
        ? 2
        : 0;
    title = words.slice(0, words.length - optionCount).join(' ');
    tail = words.slice(words.length - optionCount);
  }
  if (title === '') return fail('declare needs a title', 'declare');
  if (title.length > MAX_TITLE_LENGTH)
    return fail(`the title is longer than ${MAX_TITLE_LENGTH} characters`, 'declare');
  const [sevWord, service] = tail;
  let severity: Severity | null = null;
  if (sevWord !== undefined) {
    const match = DECLARE_SEVERITY.exec(sevWord);
    if (!match) return fail(`"${sevWord}" is not a severity: use sev1 to sev4`, 'declare');
    severity = severityOf(match[1]!);
  }
  if (service !== undefined && !SERVICE.test(service))
    return fail(`"${service}" is not a service name`, 'declare');
  return ok({ name: 'declare', title, severity, service: service ?? null });
};

/** The help text: one subcommand's usage, or all of them. */
export const helpText = (command = '/incident', topic: SubcommandName | null = null): string => {
  const line = (name: SubcommandName) => `\`${command} ${name} ${USAGE[name].args}\` ${USAGE[name].does}`;
  if (topic !== null) return `Usage: ${line(topic)}`;
  return [
    `*${command}* subcommands. In an incident's channel the incident is implied; elsewhere name it with \`#id\` (the full id, or its first or last characters).`,
    ...SUBCOMMANDS.map((n) => `• ${line(n)}`),
  ].join('\n');
};
