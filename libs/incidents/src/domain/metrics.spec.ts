import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decide } from './decide.js';
import { foldIncident } from './evolve.js';
import { incidentDurations } from './metrics.js';
import { acknowledged, command, corrected, history, ID, mitigated, resolved, t } from './spec-fixtures.js';

const MINUTE = 60_000;

// Fixture milestones: impact 10:00, detected 10:05, acknowledged 10:10, mitigated 10:30, resolved 10:50.
describe('incidentDurations', () => {
  it('is all null before the incident exists', () => {
    assert.deepEqual(incidentDurations(foldIncident([])), {
      mttdMs: null,
      mttaMs: null,
      mttmMs: null,
      mttrMs: null,
    });
  });

  it('has only MTTD while triggered', () => {
    assert.deepEqual(incidentDurations(foldIncident(history.triggered)), {
      mttdMs: 5 * MINUTE,
      mttaMs: null,
      mttmMs: null,
      mttrMs: null,
    });
  });

  it('measures every duration from detection once resolved', () => {
    assert.deepEqual(incidentDurations(foldIncident(history.resolved)), {
      mttdMs: 5 * MINUTE,
      mttaMs: 5 * MINUTE,
      mttmMs: 25 * MINUTE,
      mttrMs: 45 * MINUTE,
    });
  });

  it('leaves MTTA and MTTM open for an incident resolved without them', () => {
    const { mttaMs, mttmMs, mttrMs } = incidentDurations(foldIncident(history.resolvedUnacknowledged));
    assert.deepEqual({ mttaMs, mttmMs, mttrMs }, { mttaMs: null, mttmMs: null, mttrMs: 45 * MINUTE });
  });

  it('MTTD changes after MilestoneCorrected on impactStarted', () => {
    const before = foldIncident(history.resolved);
    assert.equal(incidentDurations(before).mttdMs, 5 * MINUTE);
    const events = decide(
      command({
        type: 'CorrectMilestone',
        data: { incidentId: ID, milestone: 'impactStarted', to: t('09:40'), reason: 'alert fired late' },
      }),
      before,
    );
    const after = incidentDurations(foldIncident([...history.resolved, ...events]));
    assert.equal(after.mttdMs, 25 * MINUTE);
    assert.equal(after.mttrMs, 45 * MINUTE, 'durations measured from detection are unaffected');
  });

  it('a corrected detection time moves every duration measured from it', () => {
    const durations = incidentDurations(
      foldIncident([...history.resolved, corrected('detected', t('10:05'), t('10:01'))]),
    );
    assert.deepEqual(durations, {
      mttdMs: 1 * MINUTE,
      mttaMs: 9 * MINUTE,
      mttmMs: 29 * MINUTE,
      mttrMs: 49 * MINUTE,
    });
  });

  it('after a reopen, MTTA keeps the first acknowledgement while MTTM and MTTR wait for the new cycle', () => {
    const reopened = [...history.reopened, acknowledged(t('11:05'), 'carol')];
    assert.deepEqual(incidentDurations(foldIncident(reopened)), {
      mttdMs: 5 * MINUTE,
      mttaMs: 5 * MINUTE,
      mttmMs: null,
      mttrMs: null,
    });
    const again = incidentDurations(foldIncident([...reopened, mitigated(t('11:15')), resolved(t('11:35'))]));
    assert.equal(again.mttmMs, 70 * MINUTE);
    assert.equal(again.mttrMs, 90 * MINUTE);
  });
});
