import type { Severity } from '#vigil/incidents';
import { withinWindow, type GroupingRule } from './grouping.js';
import type { NormalisedAlert } from './normalised-alert.js';

/**
 * An alert group: the alerts of one integration that fold into one incident
 * (Alertmanager's group, or one PagerDuty dedup key). Its stream records every
 * alert fact; the incident's stream records only what people need to see there.
 */
export type AlertGroupEvent =
  | {
      type: 'AlertTriggered';
      data: {
        integrationId: string;
        service: string;
        groupKey: string;
        alertKey: string;
        fact: string;
        source: string;
        summary: string;
        severity: Severity;
        labels: Record<string, string>;
        startsAt: string;
        receivedAt: string;
        incidentId: string;
        /** True when this alert opened the incident. */
        openedIncident: boolean;
      };
    }
  | {
      type: 'AlertRepeated';
      data: { alertKey: string; fact: string; receivedAt: string; incidentId: string };
    }
  | { type: 'AlertAcknowledged'; data: { alertKey: string; receivedAt: string } }
  | {
      type: 'AlertFlapping';
      data: {
        alertKey: string;
        fact: string;
        receivedAt: string;
        firesInWindow: number;
        windowMinutes: number;
      };
    }
  | {
      type: 'AlertSuppressed';
      data: {
        service: string;
        alertKey: string;
        fact: string;
        silenceId: string;
        source: string;
        summary: string;
        severity: Severity;
        labels: Record<string, string>;
        startsAt: string;
        receivedAt: string;
      };
    }
  | {
      type: 'AlertResolved';
      data: { alertKey: string; fact: string; receivedAt: string; incidentId: string | null };
    };

export interface FiringAlert {
  lastFact: string;
  incidentId: string;
  repeats: number;
}

export interface AlertGroup {
  /** The incident the group's alerts last went to. */
  incidentId: string | null;
  firing: Record<string, FiringAlert>;
  /** The last fact of each alert a silence held back. */
  suppressed: Record<string, string>;
  /** When each alert last fired (newest last, a few kept): what flapping is judged on. */
  fires: Record<string, string[]>;
  /** The last fact of each alert held back for flapping. */
  flapping: Record<string, string>;
}

export const emptyAlertGroup: AlertGroup = {
  incidentId: null,
  firing: {},
  suppressed: {},
  fires: {},
  flapping: {},
};

/** An alert that fired this many times within the window is flapping, until it fires less often. */
export const DEFAULT_FLAPPING = { maxFires: 5, windowMinutes: 30 } as const;
const FIRES_KEPT = 20;

/**
 * A record's own entry: alert keys are any text the sender chose, `__proto__` and
 * `constructor` included, and those must not reach Object.prototype.
 */
const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

/** The longest flapping window a rule may ask for: older fire times can decide nothing. */
export const MAX_FLAPPING_WINDOW_MINUTES = 24 * 60;

/**
 * The fire times after this one, without the alerts that last fired longer ago
 * than any flapping window looks back: an alert key can be new with every
 * firing episode (Alertmanager's includes its start), so the record would
 * otherwise grow with every alert the group ever had.
 */
const fired = (state: AlertGroup, alertKey: string, at: string): Record<string, string[]> => {
  const horizon = Date.parse(at) - MAX_FLAPPING_WINDOW_MINUTES * 60_000;
  const fires: Record<string, string[]> = {};
  for (const [key, times] of Object.entries(state.fires)) {
    const last = times.at(-1);
    if (key !== alertKey && last !== undefined && Date.parse(last) > horizon) fires[key] = times;
  }
  fires[alertKey] = [...(own(state.fires, alertKey) ?? []), at].slice(-FIRES_KEPT);
  return fires;
};

export const evolveAlertGroup = (state: AlertGroup, event: AlertGroupEvent): AlertGroup => {
  switch (event.type) {
    case 'AlertTriggered': {
      const { alertKey, fact, incidentId, receivedAt } = event.data;
      const flapping = { ...state.flapping };
      delete flapping[alertKey];
      return {
        ...state,
        incidentId,
        firing: { ...state.firing, [alertKey]: { lastFact: fact, incidentId, repeats: 0 } },
        fires: fired(state, alertKey, receivedAt),
        flapping,
      };
    }
    case 'AlertRepeated': {
      const current = own(state.firing, event.data.alertKey);
      if (!current) return state;
      return {
        ...state,
        firing: {
          ...state.firing,
          [event.data.alertKey]: { ...current, lastFact: event.data.fact, repeats: current.repeats + 1 },
        },
      };
    }
    case 'AlertAcknowledged':
      return state;
    case 'AlertFlapping': {
      const { alertKey, fact, receivedAt } = event.data;
      return {
        ...state,
        fires: fired(state, alertKey, receivedAt),
        flapping: { ...state.flapping, [alertKey]: fact },
      };
    }
    case 'AlertSuppressed':
      return { ...state, suppressed: { ...state.suppressed, [event.data.alertKey]: event.data.fact } };
    case 'AlertResolved': {
      const firing = { ...state.firing };
      delete firing[event.data.alertKey];
      const suppressed = { ...state.suppressed };
      delete suppressed[event.data.alertKey];
      return { ...state, firing, suppressed };
    }
  }
};

/** What the group's incident looks like right now, as far as the decision needs to know. */
export type IncidentSituation = { incidentId: string; open: boolean; openedAt?: string } | null;

export interface ReceiveAlert {
  alert: NormalisedAlert;
  integrationId: string;
  /** The integration's service, snapshotted into the alert's facts. */
  service: string;
  receivedAt: string;
  /** Makes the id to use if this alert must open a new incident (most alerts open none). */
  newIncidentId: () => string;
  autoResolve: boolean;
  /** The active silence that matches the alert's labels, if any. */
  silenceId: string | null;
  flapping?: { maxFires: number; windowMinutes: number };
  /** The service's grouping rule: its window decides whether a new alert may still join the open incident. */
  grouping?: GroupingRule | null;
}

/** What the incident must go through as a consequence, decided here, carried out by the incident's own decider. */
export type IncidentConsequence =
  | { type: 'open'; incidentId: string; alert: NormalisedAlert }
  | { type: 'attach'; incidentId: string; alert: NormalisedAlert }
  | { type: 'resolve'; incidentId: string; summary: string };

export interface AlertDecision {
  events: AlertGroupEvent[];
  incident: IncidentConsequence[];
}

const NOTHING: AlertDecision = { events: [], incident: [] };

/**
 * One alert delivery against the group. A resend of a known fact changes
 * nothing; a new trigger of a firing alert is a repeat; a new alert joins the
 * open incident or opens one; the last firing alert's resolution can resolve it.
 * Acknowledge and resolve for an alert that is not firing are accepted and dropped.
 */
export const decideAlert = (
  cmd: ReceiveAlert,
  group: AlertGroup,
  incident: IncidentSituation,
  /** The incident of the alert itself when it is firing and that is not the group's latest (a window split them). */
  alertIncident: IncidentSituation = null,
): AlertDecision => {
  const { alert, receivedAt } = cmd;
  const firing = own(group.firing, alert.dedupKey);
  const incidentOpen = incident !== null && incident.open;
  // What the firing alert belongs to: the group's latest incident, or an earlier one of the group.
  const its = firing && incident?.incidentId === firing.incidentId ? incident : alertIncident;
  const itsOpen = firing !== undefined && its !== null && its.open && its.incidentId === firing.incidentId;
  switch (alert.action) {
    case 'trigger': {
      if (firing && firing.lastFact === alert.fact) return NOTHING;
      // A silence holds back alerts that would open or join an incident; one already there carries on.
      if (!firing && cmd.silenceId !== null) {
        if (own(group.suppressed, alert.dedupKey) === alert.fact) return NOTHING;
        return {
          events: [
            {
              type: 'AlertSuppressed',
              data: {
                service: cmd.service,
                alertKey: alert.dedupKey,
                fact: alert.fact,
                silenceId: cmd.silenceId,
                source: alert.source,
                summary: alert.summary,
                severity: alert.severity,
                labels: alert.labels,
                startsAt: alert.startsAt,
                receivedAt,
              },
            },
          ],
          incident: [],
        };
      }
      if (itsOpen) {
        return {
          events: [
            {
              type: 'AlertRepeated',
              data: {
                alertKey: alert.dedupKey,
                fact: alert.fact,
                receivedAt,
                incidentId: firing.incidentId,
              },
            },
          ],
          incident: [],
        };
      }
      // An alert that keeps firing and resolving stops re-opening incidents until it calms down.
      if (!firing) {
        if (own(group.flapping, alert.dedupKey) === alert.fact) return NOTHING;
        const { maxFires, windowMinutes } = cmd.flapping ?? DEFAULT_FLAPPING;
        const since = Date.parse(receivedAt) - windowMinutes * 60_000;
        const recent = (own(group.fires, alert.dedupKey) ?? []).filter((at) => Date.parse(at) > since).length;
        if (recent >= maxFires) {
          return {
            events: [
              {
                type: 'AlertFlapping',
                data: {
                  alertKey: alert.dedupKey,
                  fact: alert.fact,
                  receivedAt,
                  firesInWindow: recent + 1,
                  windowMinutes,
                },
              },
            ],
            incident: [],
          };
        }
      }
      const opens = !incidentOpen || !withinWindow(cmd.grouping, incident.openedAt ?? receivedAt, receivedAt);
      const incidentId = opens ? cmd.newIncidentId() : incident.incidentId;
      return {
        events: [
          {
            type: 'AlertTriggered',
            data: {
              integrationId: cmd.integrationId,
              service: cmd.service,
              groupKey: alert.groupKey,
              alertKey: alert.dedupKey,
              fact: alert.fact,
              source: alert.source,
              summary: alert.summary,
              severity: alert.severity,
              labels: alert.labels,
              startsAt: alert.startsAt,
              receivedAt,
              incidentId,
              openedIncident: opens,
            },
          },
        ],
        incident: [
          ...(opens ? [{ type: 'open' as const, incidentId, alert }] : []),
          { type: 'attach', incidentId, alert },
        ],
      };
    }
    case 'acknowledge':
      if (!firing) return NOTHING;
      return {
        events: [{ type: 'AlertAcknowledged', data: { alertKey: alert.dedupKey, receivedAt } }],
        incident: [],
      };
    case 'resolve': {
      if (!firing && own(group.suppressed, alert.dedupKey) !== undefined) {
        return {
          events: [
            {
              type: 'AlertResolved',
              data: { alertKey: alert.dedupKey, fact: alert.fact, receivedAt, incidentId: null },
            },
          ],
          incident: [],
        };
      }
      if (!firing) return NOTHING;
      // Only the alerts of this alert's incident keep it open: a window can split a group across incidents.
      const stillFiring = Object.entries(group.firing).filter(
        ([key, other]) => key !== alert.dedupKey && other.incidentId === firing.incidentId,
      );
      const resolvesIncident = cmd.autoResolve && itsOpen && stillFiring.length === 0;
      return {
        events: [
          {
            type: 'AlertResolved',
            data: {
              alertKey: alert.dedupKey,
              fact: alert.fact,
              receivedAt,
              incidentId: itsOpen ? firing.incidentId : null,
            },
          },
        ],
        incident: resolvesIncident
          ? [
              {
                type: 'resolve',
                incidentId: firing.incidentId,
                summary: alert.summary ? `All alerts resolved: ${alert.summary}` : 'All alerts resolved',
              },
            ]
          : [],
      };
    }
  }
};
