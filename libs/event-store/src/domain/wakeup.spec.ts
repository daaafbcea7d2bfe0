import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wakeup } from './wakeup.js';

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('Wakeup', () => {
  it('a wake ends a sleep at once', async () => {
    const wakeup = new Wakeup();
    const sleep = wakeup.sleep(3_600_000, wakeup.mark());
    assert.equal(await settled(sleep), false);
    wakeup.wake();
    assert.equal(await settled(sleep), true);
  });

  it('a wake between mark and sleep is not lost: the sleep does not start', async () => {
    const wakeup = new Wakeup();
    const mark = wakeup.mark();
    wakeup.wake(); // came while the loop was busy looking for work
    assert.equal(await settled(wakeup.sleep(3_600_000, mark)), true);
    // Once looked again (a new mark), the loop sleeps until the next wake.
    const next = wakeup.sleep(3_600_000, wakeup.mark());
    assert.equal(await settled(next), false);
    wakeup.wake();
    assert.equal(await settled(next), true);
  });

  it('without a wake, a sleep lasts its time', async () => {
    const wakeup = new Wakeup();
    // Long enough that a busy machine cannot run the timer before the first look (5 ms could).
    const sleep = wakeup.sleep(250, wakeup.mark());
    assert.equal(await settled(sleep), false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await settled(sleep), true);
  });
});
