import assert from 'node:assert/strict';
import { IncidentListProjection, type IncidentListProjection as Projection } from '#vigil/incidents';

/** What the incident list projection would write for these events, folded from the first. */
export const projectedRows = async (events: Parameters<Projection['apply']>[1]) => {
  const written: unknown[][] = [];
  await new IncidentListProjection().apply(undefined as never, events, {
    add: (_text, values) => written.push([...values]),
  });
  assert.equal(written.length, 1, 'one upsert');
  return JSON.parse(written[0]![0] as string) as Array<Record<string, unknown>>;
};

/** A value as it reads back from JSON: undefined keys gone, dates as text. */
export const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
