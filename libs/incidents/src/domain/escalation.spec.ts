import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EscalationPolicyRef, IncidentCommand } from './commands.js';
import { decide } from './decide.js';
import { IncidentError } from './errors.js';
import type { IncidentErrorCode } from './errors.js';
import { isEscalating, nextEscalationStep } from './escalation-decide.js';
import type { EscalationTargetOutcome, IncidentEvent } from './events.js';
import { foldIncident } from './evolve.js';
import {
  acknowledged,
  command,
  deepFreeze,
  history,
  ID,
  NOW,
  opened,
  reopened,
  resolved,
  t,
} from './spec-fixtures.js';
import type { OpenedIncident } from './types.js';

const policy: EscalationPolicyRef = { id: 'pol-1', version: 3, name: 'Checkout', levels: 2, repeats: 1 };

const alice: EscalationTargetOutcome = {
  target: { kind: 'schedule', id: 'sch-1' },
  outcome: 'paged',
  userId: 'alice',
  userName: 'Alice',
  slackUserId: 'UALICE',
  channelId: null,
  explanation: 'On call in schedule Primary',
};
const channel: EscalationTargetOutcome = {
  target: { kind: 'channel', id: 'C1' },
  outcome: 'paged',
  userId: null,
  userName: null,
  slackUserId: null,
  channelId: 'C1',
  explanation: 'Channel named in level 1',
};
const nobody: EscalationTargetOutcome = {
  target: { kind: 'schedule', id: 'sch-2' },
  outcome: 'not-paged',
  reason: 'nobody-on-call',
  userId: null,
  explanation: 'Nobody on call in schedule Secondary',
};

const step = (
  n: number,
  options: { cycle?: number; now?: string; scheduledFor?: string; targets?: EscalationTargetOutcome[] } = {},
): IncidentCommand =>
  command(
    {
      type: 'StartEscalationStep',
      data: {
        incidentId: ID,
        cycle: options.cycle ?? 0,
        step: n,
        policy,
        delayMinutes: 5,
        targets: options.targets ?? [alice],
        trigger: 'timer',
        scheduledFor: options.scheduledFor ?? options.now ?? NOW,
      },
    },
    options.now ?? NOW,
    'escalation',
  );

const exhaust = (n: number, cycle = 0): IncidentCommand =>
  command({ type: 'ExhaustEscalation', data: { incidentId: ID, cycle, step: n, policy } }, NOW, 'escalation');

/** Applies commands in order, each against the fold of everything before it. */
const script = (given: IncidentEvent[], ...commands: IncidentCommand[]): IncidentEvent[] =>
  commands.reduce<IncidentEvent[]>(
    (events, c) => [...events, ...decide(deepFreeze(c), deepFreeze(foldIncident(events)))],
    given,
  );

const refuses = (given: IncidentEvent[], when: IncidentCommand, code: IncidentErrorCode): void => {
  assert.throws(
    () => decide(when, foldIncident(given)),
    (error: unknown) => error instanceof IncidentError && error.code === code,
    `expected ${code}`,
  );
};

describe('StartEscalationStep', () => {
  it('starts level 1 at once with a ResponderPaged per paged target, and records the lateness', () => {
    const events = decide(
      step(0, { targets: [alice, nobody, channel], now: t('10:05'), scheduledFor: t('10:04') }),
      foldIncident(history.triggered),
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['EscalationStepStarted', 'ResponderPaged', 'ResponderPaged'],
    );
    const started = events[0]!;
    assert.equal(started.type, 'EscalationStepStarted');
    if (started.type !== 'EscalationStepStarted') return;
    assert.equal(started.data.level, 1);
    assert.equal(started.data.repeat, 0);
    assert.equal(started.data.delayMs, 60_000);
    assert.equal(started.data.nextStepAt, t('10:10'));
    assert.deepEqual(
      events
        .slice(1)
        .map((e) => e.type === 'ResponderPaged' && [e.data.userId, e.data.channelId, e.data.level]),
      [
        ['alice', null, 1],
        [null, 'C1', 1],
      ],
    );
  });

  it('walks the levels, then repeats them, then only exhaustion is accepted', () => {
    const events = script(history.triggered, step(0), step(1), step(2), step(3), exhaust(4));
    const started = events.filter((e) => e.type === 'EscalationStepStarted');
    assert.deepEqual(
      started.map((e) => e.type === 'EscalationStepStarted' && [e.data.level, e.data.repeat]),
      [
        [1, 0],
        [2, 0],
        [1, 1],
        [2, 1],
      ],
    );
    assert.equal(events.at(-1)?.type, 'EscalationExhausted');
    const state = foldIncident(events) as OpenedIncident;
    assert.equal(state.escalation?.exhausted, true);
    assert.equal(isEscalating(state), false);
    refuses(events, step(5), 'InvalidEscalationStep');
    refuses(events, exhaust(5), 'InvalidEscalationStep');
    refuses(script(history.triggered, step(0)), exhaust(1), 'InvalidEscalationStep');
  });

  it('refuses every step once the incident is acknowledged, mitigated or resolved', () => {
    for (const given of [history.acknowledged, history.investigating, history.mitigated, history.resolved]) {
      refuses(given, step(0), 'EscalationStopped');
      refuses(given, exhaust(4), 'EscalationStopped');
    }
    const paged = script(history.triggered, step(0));
    refuses([...paged, acknowledged(t('10:11'))], step(1), 'EscalationStopped');
    refuses([...paged, resolved(t('10:11'))], step(1), 'EscalationStopped');
  });

  it('refuses any step but the next one of the current cycle (the token)', () => {
    const paged = script(history.triggered, step(0));
    refuses(paged, step(0), 'EscalationStepStale');
    refuses(paged, step(2), 'EscalationStepStale');
    refuses(paged, step(1, { cycle: 1 }), 'EscalationStepStale');
    refuses(history.triggered, step(1), 'EscalationStepStale');
  });

  it('a reopen starts a new cycle at step 0; the old cycle’s steps are refused', () => {
    const first = script(history.triggered, step(0), step(1));
    const again = [...first, resolved(t('10:50')), reopened(t('11:00'))];
    const state = foldIncident(again) as OpenedIncident;
    assert.deepEqual(nextEscalationStep(state), { cycle: 1, step: 0 });
    assert.equal(isEscalating(state), true);
    refuses(again, step(2), 'EscalationStepStale');
    const events = decide(step(0, { cycle: 1 }), state);
    assert.equal(events[0]?.type === 'EscalationStepStarted' && events[0].data.cycle, 1);
    assert.deepEqual(nextEscalationStep(foldIncident([...again, ...events]) as OpenedIncident), {
      cycle: 1,
      step: 1,
    });
  });

  it('refuses a missing incident, and a paged target without whom it paged', () => {
    refuses([], step(0), 'IncidentNotFound');
    refuses(history.triggered, step(0, { targets: [{ ...alice, userId: null }] }), 'InvalidEscalationStep');
    refuses(
      history.triggered,
      step(0, { targets: [{ ...channel, channelId: null }] }),
      'InvalidEscalationStep',
    );
  });

  it('changes nothing but the escalation progress (updatedAt, status stay)', () => {
    const before = foldIncident(history.triggered) as OpenedIncident;
    const after = foldIncident(script(history.triggered, step(0))) as OpenedIncident;
    const { escalation, ...rest } = after;
    assert.deepEqual(rest, before);
    assert.equal(escalation?.steps, 1);
    assert.equal(escalation?.nextStepAt, t('12:05'));
  });
});

describe('PageResponder', () => {
  const page = command({
    type: 'PageResponder',
    data: {
      incidentId: ID,
      target: { kind: 'user', id: 'dana' },
      userId: 'dana',
      userName: 'Dana',
      slackUserId: null,
      explanation: 'Paged by hand',
    },
  });

  it('pages outside the policy on any open incident, acknowledged ones included', () => {
    for (const given of [history.triggered, history.acknowledged, history.mitigated]) {
      const [event] = decide(page, foldIncident(given));
      assert.equal(event?.type, 'ResponderPaged');
      if (event?.type !== 'ResponderPaged') return;
      assert.deepEqual(
        [event.data.level, event.data.step, event.data.userId, event.data.pagedBy],
        [null, null, 'dana', 'bob'],
      );
    }
  });

  it('refuses a resolved incident and a missing one', () => {
    refuses(history.resolved, page, 'IncidentNotOpen');
    refuses([], page, 'IncidentNotFound');
  });

  it('leaves the state as it was', () => {
    const given = [opened()];
    const state = foldIncident(given);
    assert.deepEqual(foldIncident([...given, ...decide(page, state)]), state);
  });
});
