import type { Decider } from '#vigil/event-store';
import type { IncidentCommand } from '../domain/commands.js';
import { decide } from '../domain/decide.js';
import type { IncidentEvent } from '../domain/events.js';
import { evolve, initialIncident } from '../domain/evolve.js';
import type { Incident } from '../domain/types.js';

export const INCIDENT_STREAM_TYPE = 'incident';
export const incidentStreamId = (incidentId: string): string => `incident-${incidentId}`;
export const incidentIdOf = (streamId: string): string => streamId.slice('incident-'.length);

export const incidentDecider: Decider<Incident, IncidentCommand, IncidentEvent> = {
  streamType: INCIDENT_STREAM_TYPE,
  initialState: initialIncident,
  evolve,
  decide,
};
