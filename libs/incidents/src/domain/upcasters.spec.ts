import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IncidentEvent } from './events.js';
import { INCIDENT_EVENT_TYPES } from './events.js';
import { foldIncident } from './evolve.js';
import { history } from './spec-fixtures.js';
import { INCIDENT_SCHEMA_VERSIONS, incidentUpcasters } from './upcasters.js';

// Frozen fixtures: rows as schema version 1 of IncidentSeverityChanged wrote them. Never edit these;
// if the upcaster must change, add a new version instead.
const SEVERITY_CHANGED_V1 = '{"incidentId":"inc-1","from":3,"to":1,"reason":"customers affected"}';
const SEVERITY_CHANGED_V1_NO_REASON = '{"incidentId":"inc-1","from":1,"to":4}';

/** What the event store does on read: apply (type, version) upcasters until the current version. */
const upcast = (type: string, version: number, data: unknown): unknown => {
  let current = data;
  for (let v = version; v < (INCIDENT_SCHEMA_VERSIONS[type] ?? 1); v++) {
    const upcaster = incidentUpcasters.find((u) => u.type === type && u.from === v);
    assert.ok(upcaster, `no upcaster for ${type} from version ${v}`);
    current = upcaster.up(current);
  }
  return current;
};

describe('incidentUpcasters', () => {
  it('lifts IncidentSeverityChanged v1 (numeric levels) to v2 (SEV strings, reason|null)', () => {
    assert.deepEqual(upcast('IncidentSeverityChanged', 1, JSON.parse(SEVERITY_CHANGED_V1)), {
      incidentId: 'inc-1',
      from: 'SEV3',
      to: 'SEV1',
      reason: 'customers affected',
    });
  });

  it('turns a missing v1 reason into null', () => {
    assert.deepEqual(upcast('IncidentSeverityChanged', 1, JSON.parse(SEVERITY_CHANGED_V1_NO_REASON)), {
      incidentId: 'inc-1',
      from: 'SEV1',
      to: 'SEV4',
      reason: null,
    });
  });

  it('does not modify the stored data it reads', () => {
    const stored = Object.freeze(JSON.parse(SEVERITY_CHANGED_V1));
    upcast('IncidentSeverityChanged', 1, stored);
    assert.deepEqual(stored, JSON.parse(SEVERITY_CHANGED_V1));
  });

  it('leaves current-version data as it is', () => {
    const v2 = { incidentId: 'inc-1', from: 'SEV2', to: 'SEV1', reason: null };
    assert.equal(upcast('IncidentSeverityChanged', 2, v2), v2);
  });

  it('refuses a v1 level outside 1..4 rather than guess', () => {
    const [upcaster] = incidentUpcasters;
    assert.throws(() => upcaster!.up({ incidentId: 'inc-1', from: 3, to: 0 }), /level 0, expected 1\.\.4/);
  });

  it('an upcast v1 event folds like a v2 one', () => {
    const data = upcast('IncidentSeverityChanged', 1, JSON.parse(SEVERITY_CHANGED_V1));
    const event = { type: 'IncidentSeverityChanged', data } as IncidentEvent;
    const state = foldIncident([...history.triggered, event]);
    assert.ok(state.status !== 'none');
    assert.equal(state.severity, 'SEV1');
  });

  it('has one upcaster per (type, from) for every version step below the current one', () => {
    const keys = incidentUpcasters.map((u) => `${u.type}@${u.from}`);
    assert.equal(new Set(keys).size, keys.length);
    const expected = Object.entries(INCIDENT_SCHEMA_VERSIONS).flatMap(([type, current]) =>
      Array.from({ length: current - 1 }, (_, i) => `${type}@${i + 1}`),
    );
    assert.deepEqual(keys.sort(), expected.sort());
  });
});

describe('INCIDENT_SCHEMA_VERSIONS', () => {
  it('is 2 for IncidentSeverityChanged and 1 for every other event type', () => {
    const expected = Object.fromEntries(
      INCIDENT_EVENT_TYPES.map((type) => [type, type === 'IncidentSeverityChanged' ? 2 : 1]),
    );
    assert.deepEqual({ ...INCIDENT_SCHEMA_VERSIONS }, expected);
  });
});
