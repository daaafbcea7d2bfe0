import type { IncidentEvent } from './events.js';
import type { IncidentRole, Milestone } from './types.js';

/**
 * A plain-English one-line summary of an event for the incident timeline.
 * `nameOf` turns an actor id into the name people know it by.
 */
export const describeEvent = (event: IncidentEvent, nameOf: (id: string) => string = (id) => id): string => {
  switch (event.type) {
    case 'IncidentOpened': {
      const { severity, title, service, openedBy } = event.data;
      return `Opened as ${severity} on ${service} by ${nameOf(openedBy)}: ${oneLine(title)}`;
    }
    case 'IncidentAcknowledged':
      return `Acknowledged by ${nameOf(event.data.acknowledgedBy)}`;
    case 'IncidentRoleAssigned': {
      const { role, assignee, previous } = event.data;
      return previous === null
        ? `${ROLE_LABEL[role]} assigned to ${assignee}`
        : `${ROLE_LABEL[role]} changed from ${previous} to ${assignee}`;
    }
    case 'IncidentSeverityChanged':
      return withDetail(`Severity changed from ${event.data.from} to ${event.data.to}`, event.data.reason);
    case 'IncidentDiagnosisRecorded':
      return withDetail(`Diagnosis recorded by ${nameOf(event.data.recordedBy)}`, event.data.diagnosis);
    case 'IncidentRemediationStarted':
      return withDetail(`Remediation started by ${nameOf(event.data.startedBy)}`, event.data.action);
    case 'IncidentMitigated':
      return withDetail(`Mitigated by ${nameOf(event.data.mitigatedBy)}`, event.data.summary);
    case 'IncidentResolved':
      return withDetail(`Resolved by ${nameOf(event.data.resolvedBy)}`, event.data.summary);
    case 'IncidentReopened':
      return withDetail(`Reopened by ${nameOf(event.data.reopenedBy)}`, event.data.reason);
    case 'AlertAttached': {
      const { source, severity, summary } = event.data;
      return `Alert from ${source} attached (${severity}): ${oneLine(summary)}`;
    }
    case 'IncidentNoteAdded':
      return withDetail(`Note added by ${nameOf(event.data.author)}`, event.data.text);
    case 'IncidentStatusUpdatePosted':
      return withDetail(`Status update posted by ${nameOf(event.data.postedBy)}`, event.data.message);
    case 'MilestoneCorrected': {
      const { milestone, from, to, reason } = event.data;
      const change = from === null ? `set to ${to}` : `corrected from ${from} to ${to}`;
      return withDetail(`${MILESTONE_LABEL[milestone]} ${change}`, reason);
    }
    case 'EscalationStepStarted': {
      const { level, repeat, policyName, policyVersion, targets, delayMs, trigger } = event.data;
      const paged = targets.filter((t) => t.outcome === 'paged').length;
      const pass = repeat > 0 ? `, repeat ${repeat}` : '';
      const by = trigger === 'manual' ? ' by hand' : trigger === 'auditor' ? ' by the auditor' : '';
      const late = delayMs >= 1000 ? ` (${Math.round(delayMs / 1000)} s late)` : '';
      return `Escalated to level ${level}${pass} of ${oneLine(policyName)} v${policyVersion}${by}${late}: ${paged} of ${targets.length} target${targets.length === 1 ? '' : 's'} paged`;
    }
    case 'ResponderPaged': {
      const { userId, userName, channelId, level, explanation } = event.data;
      const who = channelId !== null ? `channel ${channelId}` : (userName ?? nameOf(userId ?? '?'));
      return withDetail(`Paged ${who}${level === null ? ' by hand' : ` at level ${level}`}`, explanation);
    }
    case 'EscalationExhausted': {
      const { levels, repeats } = event.data;
      return `Escalation exhausted: ${levels} level${levels === 1 ? '' : 's'} paged ${repeats + 1} time${repeats === 0 ? '' : 's'} without an acknowledgement`;
    }
    default:
      return unknownEvent(event);
  }
};

const ROLE_LABEL: Record<IncidentRole, string> = {
  commander: 'Commander',
  communications: 'Communications lead',
};

const MILESTONE_LABEL: Record<Milestone, string> = {
  impactStarted: 'Impact started',
  detected: 'Detected',
  acknowledged: 'Acknowledged',
  mitigated: 'Mitigated',
  resolved: 'Resolved',
};

/** Free text (notes, summaries) may span lines; the timeline shows one line per event. */
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

const withDetail = (headline: string, detail: string | null): string => {
  const text = detail === null ? '' : oneLine(detail);
  return text === '' ? headline : `${headline}: ${text}`;
};

const unknownEvent = (event: never): string => `Unknown event ${String((event as { type?: unknown }).type)}`;
