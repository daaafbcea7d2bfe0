import {
  decideAlert,
  emptyAlertGroup,
  evolveAlertGroup,
  type AlertGroup,
  type AlertGroupEvent,
  type IncidentSituation,
} from '../domain/alert-group.js';
import { groupKeyOf, type GroupingRule } from '../domain/grouping.js';
import type { AlertSource, NormalisedAlert } from '../domain/normalised-alert.js';
import { silencing, type Silence } from '../domain/silences.js';
import { ruleOf } from '../read-models/alert-fatigue.projection.js';

/*
 * Backtesting: the alerts the log holds for a time range, replayed in memory
 * through a proposed rule set (grouping, silences, flapping, auto-resolve) by
 * the very decision ingestion uses (`decideAlert`), next to what really
 * happened. Plain functions over plain data: the reader in backtest-log.ts
 * brings the facts from PostgreSQL, nothing here touches a database.
 */

/** What a fact says: an alert group's event, or a real incident closing or reopening. */
export type LoggedFactBody =
  | { kind: 'alert'; event: AlertGroupEvent }
  | {
      kind: 'incident';
      type: 'IncidentResolved' | 'IncidentReopened';
      incidentId: string;
      /** True when an alert did it (auto-resolve); the replay decides those itself. */
      byAlert: boolean;
    };

/** One fact from the log, as the replay reads it. */
export type LoggedFact = {
  streamId: string;
  /** The fact's position in its own stream. */
  version: number;
  /** When it happened (the event's occurred_at), ISO-8601. */
  at: string;
} & LoggedFactBody;

/**
 * Puts facts read in commit order into time order. Ties keep the order they
 * were read in, and each stream keeps its own order (stream versions are the
 * order its decisions were taken in, even where two transactions committed
 * out of transaction-id order).
 */
export const inLogOrder = <T extends { at: string; streamId: string; version: number }>(
  facts: readonly T[],
): T[] => {
  const sorted = facts
    .map((fact, read) => ({ fact, read, time: Date.parse(fact.at) }))
    .sort((a, b) => a.time - b.time || a.read - b.read)
    .map((x) => x.fact);
  const slots = new Map<string, number[]>();
  sorted.forEach((fact, i) => {
    const own = slots.get(fact.streamId);
    if (own) own.push(i);
    else slots.set(fact.streamId, [i]);
  });
  const ordered = [...sorted];
  for (const indexes of slots.values()) {
    const own = indexes.map((i) => sorted[i]!).sort((a, b) => a.version - b.version);
    indexes.forEach((slot, k) => {
      ordered[slot] = own[k]!;
    });
  }
  return ordered;
};

const GROUP_STREAM = /^alert-group-(.+)-[0-9a-f]{32}$/;

/** The integration an alert group's stream belongs to (its id is part of the stream id). */
export const integrationOfStream = (streamId: string): string | null =>
  GROUP_STREAM.exec(streamId)?.[1] ?? null;

export interface FlappingRule {
  maxFires: number;
  windowMinutes: number;
}

/** Flapping switched off: no alert is ever held back for firing too often. */
export const NO_FLAPPING: FlappingRule = { maxFires: Number.MAX_SAFE_INTEGER, windowMinutes: 1 };

/** The rules an alert is replayed under. */
export interface ReplayRules {
  grouping: (service: string) => GroupingRule | null;
  silences: readonly Silence[];
  flapping: FlappingRule;
  autoResolve: (integrationId: string) => boolean;
}

export interface BacktestInput {
  /** The range counted, [from, to). Facts before `from` only warm the replay's state up. */
  from: string;
  to: string;
  /** Only this service's alerts, or every service's. */
  service: string | null;
  /** The facts, in log order (see inLogOrder). */
  facts: readonly LoggedFact[];
  rules: ReplayRules;
  /** The real incidents a person acted on, as the alert-fatigue projection judged them. */
  actionable: ReadonlySet<string>;
  /** How many of the noisiest rules to list per side. */
  ruleLimit: number;
}

export interface AlertCounts {
  received: number;
  deduplicated: number;
  suppressed: number;
  flapping: number;
}

export interface RuleOutcome extends AlertCounts {
  service: string;
  rule: string;
  openedIncidents: number;
  actionable: number;
  nonActionable: number;
}

/** What one side (what happened, or the proposal) came to over the range. */
export interface Outcome {
  alerts: AlertCounts;
  /** Incidents alerts opened. */
  incidents: number;
  /** Incidents opened plus incidents reopened: with no escalation yet, each pages once. */
  pages: number;
  reopened: number;
  actionable: number;
  nonActionable: number;
  /** Non-actionable ÷ actionable incidents; null when none was acted on. */
  alertFatigueRatio: number | null;
  noisiestRules: RuleOutcome[];
}

/** An incident the proposal would have opened. */
export interface ProposedIncident {
  id: string;
  service: string;
  rule: string;
  title: string;
  openedAt: string;
  /** When it closed (null while open): by its alerts resolving, or by a person closing what it stood for. */
  closedAt: string | null;
  closedBy: 'alerts' | 'person' | null;
  reopened: number;
  /** How many alerts it held. */
  alertCount: number;
  /** The first of them (at most MAX_LISTED_ALERTS), as `integrationId/alertKey`, in the order they joined. */
  alerts: string[];
  /** The real incidents its alerts went to (none: every one of them was held back in reality). */
  actualIncidents: string[];
  actionable: boolean;
}

export interface BacktestResult {
  /** Alert facts in the range that were replayed. */
  replayed: number;
  /** Facts in the range about alerts that began before the facts read (their details are unknown): skipped by both sides. */
  carriedOver: number;
  actual: Outcome;
  proposed: Outcome;
  /** The proposed incidents opened in the range, in the order they opened. */
  incidents: ProposedIncident[];
}

interface AlertDetails {
  integrationId: string;
  service: string;
  source: AlertSource;
  summary: string;
  severity: NormalisedAlert['severity'];
  labels: Record<string, string>;
  startsAt: string;
  groupKey: string;
  rule: string;
}

/** The alert a delivery carried, rebuilt from its fact and what the alert's first fact said. */
const delivered = (
  event: AlertGroupEvent,
  d: AlertDetails,
): { alert: NormalisedAlert; actualIncident: string | null } => {
  const alert = (action: NormalisedAlert['action'], fact: string): NormalisedAlert => ({
    source: d.source,
    action,
    dedupKey: event.data.alertKey,
    groupKey: d.groupKey,
    fact,
    severity: d.severity,
    summary: d.summary,
    labels: d.labels,
    annotations: {},
    links: [],
    startsAt: d.startsAt,
  });
  switch (event.type) {
    case 'AlertTriggered':
      return { alert: alert('trigger', event.data.fact), actualIncident: event.data.incidentId };
    case 'AlertRepeated':
      return { alert: alert('trigger', event.data.fact), actualIncident: event.data.incidentId };
    case 'AlertSuppressed':
    case 'AlertFlapping':
      return { alert: alert('trigger', event.data.fact), actualIncident: null };
    case 'AlertResolved':
      return { alert: alert('resolve', event.data.fact), actualIncident: event.data.incidentId };
    case 'AlertAcknowledged':
      return { alert: alert('acknowledge', ''), actualIncident: null };
  }
};

/** Counts one side's alert facts and incidents the way the alert-fatigue projection does. */
class Tally {
  private readonly rules = new Map<string, RuleOutcome>();
  private readonly opened: Array<{ row: RuleOutcome; actionable: () => boolean }> = [];
  reopened = 0;

  private row(service: string, rule: string): RuleOutcome {
    const key = JSON.stringify([service, rule]);
    let row = this.rules.get(key);
    if (!row) {
      row = {
        service,
        rule,
        received: 0,
        deduplicated: 0,
        suppressed: 0,
        flapping: 0,
        openedIncidents: 0,
        actionable: 0,
        nonActionable: 0,
      };
      this.rules.set(key, row);
    }
    return row;
  }

  fact(type: AlertGroupEvent['type'], service: string, rule: string) {
    switch (type) {
      case 'AlertTriggered':
        this.row(service, rule).received++;
        break;
      case 'AlertSuppressed': {
        const row = this.row(service, rule);
        row.received++;
        row.suppressed++;
        break;
      }
      case 'AlertRepeated': {
        const row = this.row(service, rule);
        row.received++;
        row.deduplicated++;
        break;
      }
      case 'AlertFlapping': {
        const row = this.row(service, rule);
        row.received++;
        row.flapping++;
        break;
      }
      case 'AlertAcknowledged':
      case 'AlertResolved':
        break;
    }
  }

  /** Whether it was acted on is asked at the end: a proposed incident gathers alerts after it opens. */
  incident(service: string, rule: string, actionable: () => boolean) {
    const row = this.row(service, rule);
    row.openedIncidents++;
    this.opened.push({ row, actionable });
  }

  outcome(ruleLimit: number): Outcome {
    for (const { row, actionable } of this.opened) {
      if (actionable()) row.actionable++;
      else row.nonActionable++;
    }
    const rows = [...this.rules.values()];
    const sum = (k: keyof AlertCounts | 'openedIncidents' | 'actionable' | 'nonActionable') =>
      rows.reduce((n, r) => n + r[k], 0);
    const actionable = sum('actionable');
    const nonActionable = sum('nonActionable');
    const incidents = sum('openedIncidents');
    return {
      alerts: {
        received: sum('received'),
        deduplicated: sum('deduplicated'),
        suppressed: sum('suppressed'),
        flapping: sum('flapping'),
      },
      incidents,
      pages: incidents + this.reopened,
      reopened: this.reopened,
      actionable,
      nonActionable,
      alertFatigueRatio: fatigueRatio(actionable, nonActionable),
      noisiestRules: rows
        .sort((a, b) => b.received - a.received || compare(a.service, b.service) || compare(a.rule, b.rule))
        .slice(0, ruleLimit),
    };
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The report's rounding: three decimals. */
export const fatigueRatio = (actionable: number, nonActionable: number): number | null =>
  actionable === 0 ? null : Math.round((nonActionable / actionable) * 1000) / 1000;

export const MAX_LISTED_ALERTS = 50;
const PRUNE_EVERY = 16;

interface Proposed {
  incident: ProposedIncident;
  open: boolean;
  alerts: Set<string>;
  real: Set<string>;
  counted: boolean;
}

/**
 * The proposal's world: alert groups under the proposed rules and the
 * incidents they open, in memory. Its incidents close when their alerts
 * resolve (auto-resolve, decided here) or when people closed, in reality,
 * every real incident the proposed one stands for; they reopen when people
 * reopened one of those.
 */
class ProposedWorld {
  private readonly groups = new Map<string, AlertGroup>();
  /** Per group: deliveries until its fire times are next pruned. */
  private readonly untilPrune = new Map<string, number>();
  readonly incidents = new Map<string, Proposed>();
  private readonly byReal = new Map<string, Set<Proposed>>();
  private readonly closedReal = new Set<string>();
  private opened = 0;

  constructor(
    private readonly rules: ReplayRules,
    private readonly actionable: ReadonlySet<string>,
    private readonly tally: Tally,
  ) {}

  private situation(incidentId: string | null): IncidentSituation {
    if (!incidentId) return null;
    const p = this.incidents.get(incidentId);
    return p ? { incidentId, open: p.open, openedAt: p.incident.openedAt } : null;
  }

  /** Ties a proposed incident to a real one its alert went to. */
  private link(p: Proposed | undefined, real: string | null) {
    if (!p || !real || p.real.has(real)) return;
    p.real.add(real);
    const ps = this.byReal.get(real);
    if (ps) ps.add(p);
    else this.byReal.set(real, new Set([p]));
  }

  /** One delivery, decided by ingestion's own decision against the proposal's state: what `receiveOne` does. */
  receive(
    alert: NormalisedAlert,
    d: AlertDetails,
    at: string,
    actualIncident: string | null,
    counted: boolean,
  ) {
    const grouping = this.rules.grouping(d.service);
    const groupId = `${d.integrationId}\n${groupKeyOf(alert, grouping)}`;
    const group = this.groups.get(groupId) ?? emptyAlertGroup;
    const firingIn = Object.hasOwn(group.firing, alert.dedupKey)
      ? group.firing[alert.dedupKey]!.incidentId
      : null;
    const decision = decideAlert(
      {
        alert,
        integrationId: d.integrationId,
        service: d.service,
        receivedAt: at,
        newIncidentId: () => `proposed-${this.opened + 1}`,
        autoResolve: this.rules.autoResolve(d.integrationId),
        grouping,
        flapping: this.rules.flapping,
        // As ingestion does: the alert's labels plus the service, source and severity Vigil gave it.
        silenceId:
          silencing(
            this.rules.silences,
            { ...alert.labels, service: d.service, source: alert.source, severity: alert.severity },
            at,
          )?.id ?? null,
      },
      group,
      this.situation(group.incidentId),
      firingIn && firingIn !== group.incidentId ? this.situation(firingIn) : null,
    );
    this.groups.set(groupId, this.pruned(groupId, decision.events.reduce(evolveAlertGroup, group), at));
    for (const event of decision.events) {
      if (counted) this.tally.fact(event.type, d.service, d.rule);
      if (event.type === 'AlertRepeated')
        this.link(this.incidents.get(event.data.incidentId), actualIncident);
    }
    for (const consequence of decision.incident) {
      switch (consequence.type) {
        case 'open': {
          this.opened++;
          const p: Proposed = {
            incident: {
              id: consequence.incidentId,
              service: d.service,
              rule: d.rule,
              title: alert.summary,
              openedAt: at,
              closedAt: null,
              closedBy: null,
              reopened: 0,
              alertCount: 0,
              alerts: [],
              actualIncidents: [],
              actionable: false,
            },
            open: true,
            alerts: new Set(),
            real: new Set(),
            counted,
          };
          this.incidents.set(consequence.incidentId, p);
          if (counted) this.tally.incident(d.service, d.rule, () => this.isActionable(p));
          break;
        }
        case 'attach': {
          const p = this.incidents.get(consequence.incidentId);
          p?.alerts.add(`${d.integrationId}/${alert.dedupKey}`);
          this.link(p, actualIncident);
          break;
        }
        case 'resolve': {
          const p = this.incidents.get(consequence.incidentId);
          if (p) this.close(p, at, 'alerts');
          break;
        }
      }
    }
  }

  /**
   * A group remembers when each of its alerts last fired, for every alert it
   * ever saw, and copies that record on every fire: over a long replay of a
   * busy group that is quadratic. Only fires within the flapping window can
   * matter to a decision, so alerts that last fired well before it are dropped
   * (an hour of slack, as same-stream facts may be slightly out of time order).
   * Pruning is amortised: a group is pruned after as many deliveries as it
   * kept alerts the last time.
   */
  private pruned(groupId: string, group: AlertGroup, at: string): AlertGroup {
    const left = (this.untilPrune.get(groupId) ?? PRUNE_EVERY) - 1;
    if (left > 0) {
      this.untilPrune.set(groupId, left);
      return group;
    }
    const cutoff = Date.parse(at) - (this.rules.flapping.windowMinutes + 60) * 60_000;
    const fires = Object.fromEntries(
      Object.entries(group.fires).filter(([, times]) => times.some((t) => Date.parse(t) > cutoff)),
    );
    this.untilPrune.set(groupId, Math.max(PRUNE_EVERY, Object.keys(fires).length));
    return { ...group, fires };
  }

  /** A real incident closed or reopened. */
  incidentFact(fact: Extract<LoggedFact, { kind: 'incident' }>, counted: boolean) {
    const { incidentId, at } = fact;
    const proposed = [...(this.byReal.get(incidentId) ?? [])];
    if (fact.type === 'IncidentResolved') {
      this.closedReal.add(incidentId);
      if (fact.byAlert) return;
      for (const p of proposed) {
        if (p.open && [...p.real].every((r) => this.closedReal.has(r))) this.close(p, at, 'person');
      }
      return;
    }
    this.closedReal.delete(incidentId);
    for (const p of proposed) {
      if (p.open) continue;
      p.open = true;
      p.incident.closedAt = null;
      p.incident.closedBy = null;
      p.incident.reopened++;
      if (counted) this.tally.reopened++;
    }
  }

  private close(p: Proposed, at: string, by: 'alerts' | 'person') {
    p.open = false;
    p.incident.closedAt = at;
    p.incident.closedBy = by;
  }

  isActionable(p: Proposed) {
    return [...p.real].some((r) => this.actionable.has(r));
  }
}

/**
 * Replays the facts through the proposed rules and counts both sides over the
 * range. Both sides are counted by one Tally, with the alert-fatigue
 * projection's definitions, so their numbers compare. `step` replays a slice
 * at a time, so a caller on a busy event loop can let other work in between.
 */
export class Backtest {
  private readonly from: number;
  private readonly to: number;
  /** A silenced alert's fact does not carry its source group: it takes its stream's. */
  private readonly streamGroup = new Map<string, string>();
  private readonly actual = new Tally();
  private readonly proposed = new Tally();
  private readonly world: ProposedWorld;
  /** Real incidents alerts opened (in the facts read), so their reopenings page. */
  private readonly actualOpened = new Set<string>();
  private readonly known = new Map<string, AlertDetails>();
  private next = 0;
  private replayed = 0;
  private carriedOver = 0;

  constructor(private readonly input: BacktestInput) {
    this.from = Date.parse(input.from);
    this.to = Date.parse(input.to);
    for (const fact of input.facts) {
      if (
        fact.kind === 'alert' &&
        fact.event.type === 'AlertTriggered' &&
        !this.streamGroup.has(fact.streamId)
      ) {
        this.streamGroup.set(fact.streamId, fact.event.data.groupKey);
      }
    }
    this.world = new ProposedWorld(input.rules, input.actionable, this.proposed);
  }

  /** Replays up to `count` more facts; true when all are done. */
  step(count: number): boolean {
    const end = Math.min(this.input.facts.length, this.next + count);
    for (; this.next < end; this.next++) this.replay(this.input.facts[this.next]!);
    return this.next >= this.input.facts.length;
  }

  private replay(fact: LoggedFact) {
    const time = Date.parse(fact.at);
    const counted = time >= this.from && time < this.to;
    if (fact.kind === 'incident') {
      if (fact.type === 'IncidentReopened' && counted && this.actualOpened.has(fact.incidentId)) {
        this.actual.reopened++;
      }
      this.world.incidentFact(fact, counted);
      return;
    }
    const { event, streamId } = fact;
    const key = `${streamId}\n${event.data.alertKey}`;
    if (event.type === 'AlertTriggered' || event.type === 'AlertSuppressed') {
      const { service, source, summary, severity, labels, startsAt } = event.data;
      this.known.set(key, {
        integrationId:
          event.type === 'AlertTriggered'
            ? event.data.integrationId
            : (integrationOfStream(streamId) ?? streamId),
        service,
        source: source as AlertSource,
        summary,
        severity,
        labels,
        startsAt,
        groupKey:
          event.type === 'AlertTriggered'
            ? event.data.groupKey
            : (this.known.get(key)?.groupKey ?? this.streamGroup.get(streamId) ?? `stream:${streamId}`),
        rule: ruleOf(labels, summary),
      });
    }
    const details = this.known.get(key);
    if (!details) {
      if (counted) this.carriedOver++;
      return;
    }
    if (this.input.service !== null && details.service !== this.input.service) return;
    const opened =
      event.type === 'AlertTriggered' && event.data.openedIncident ? event.data.incidentId : null;
    if (counted) {
      this.replayed++;
      this.actual.fact(event.type, details.service, details.rule);
      if (opened)
        this.actual.incident(details.service, details.rule, () => this.input.actionable.has(opened));
    }
    if (opened) this.actualOpened.add(opened);
    const { alert, actualIncident } = delivered(event, details);
    this.world.receive(alert, details, fact.at, actualIncident, counted);
  }

  /** Both sides' outcomes (replays whatever is left first). */
  result(): BacktestResult {
    this.step(Infinity);
    const incidents = [...this.world.incidents.values()]
      .filter((p) => p.counted)
      .map((p) => ({
        ...p.incident,
        alertCount: p.alerts.size,
        alerts: [...p.alerts].slice(0, MAX_LISTED_ALERTS),
        actualIncidents: [...p.real],
        actionable: this.world.isActionable(p),
      }));
    return {
      replayed: this.replayed,
      carriedOver: this.carriedOver,
      actual: this.actual.outcome(this.input.ruleLimit),
      proposed: this.proposed.outcome(this.input.ruleLimit),
      incidents,
    };
  }
}

/** The whole replay at once. */
export const backtest = (input: BacktestInput): BacktestResult => new Backtest(input).result();

/** What the answer's numbers mean; sent with every answer. */
export const BACKTEST_DEFINITIONS = {
  page:
    'An incident opened by alerts, or one reopened: with no escalation policies yet, each pages once. ' +
    'Pages = incidents + reopened.',
  actionable:
    'Actual: a person (user, API key, Slack) did something to the incident after it opened, as the ' +
    'alert-fatigue projection records it. Proposed: an incident is actionable when any of its alerts went, in ' +
    'reality, to an incident a person acted on; one whose alerts were all held back in reality (silenced, ' +
    'flapping) counts as not actionable, since nobody saw them.',
  alertFatigueRatio:
    'Non-actionable ÷ actionable incidents opened in the range (null when none was actionable), as ' +
    'GET /v1/analytics/alert-fatigue computes it.',
  alerts:
    'received: alert facts that were recorded (triggered, repeated, suppressed, flapping); deduplicated: ' +
    'repeats of a firing alert; suppressed: held back by a silence; flapping: held back for flapping.',
  lifecycle:
    'A proposed incident closes when its alerts resolve (auto-resolve) or when people closed every real ' +
    'incident its alerts went to, and reopens when people reopened one of them.',
} as const;

/** Proposed minus actual, field by field; the ratio's difference is null when either side has none. */
export const differenceOf = (actual: Outcome, proposed: Outcome) => ({
  alerts: {
    received: proposed.alerts.received - actual.alerts.received,
    deduplicated: proposed.alerts.deduplicated - actual.alerts.deduplicated,
    suppressed: proposed.alerts.suppressed - actual.alerts.suppressed,
    flapping: proposed.alerts.flapping - actual.alerts.flapping,
  },
  incidents: proposed.incidents - actual.incidents,
  pages: proposed.pages - actual.pages,
  actionable: proposed.actionable - actual.actionable,
  nonActionable: proposed.nonActionable - actual.nonActionable,
  alertFatigueRatio:
    proposed.alertFatigueRatio === null || actual.alertFatigueRatio === null
      ? null
      : Math.round((proposed.alertFatigueRatio - actual.alertFatigueRatio) * 1000) / 1000,
});
