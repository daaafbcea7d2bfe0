import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuSecondsPer1k, startCpuMeter, ticksOfStat } from './cpu.js';

describe('benchmark CPU accounting', () => {
  it('reads user and system ticks from a /proc stat line, whatever the command name holds', () => {
    const tail =
      'S 12326 12326 4234 0 -1 4194304 102 0 0 0 731 52 0 0 20 0 1 0 199822 3133440 382 18446744073709551615';
    assert.equal(ticksOfStat(`12328 (postgres) ${tail}`), 783);
    assert.equal(ticksOfStat(`12328 (a b) c (d)) ${tail}`), 783);
    assert.throws(() => ticksOfStat('12328 (postgres)'), /not a \/proc stat line/);
  });

  it('gives CPU-seconds per 1,000 units, by process and in all', () => {
    assert.deepEqual(cpuSecondsPer1k({ server: 1.5, postgres: 0.75, load: 0.25 }, 2500), {
      server: 0.6,
      postgres: 0.3,
      load: 0.1,
      total: 1,
    });
  });

  it('measures the CPU this process spends (where /proc is, and nothing elsewhere)', () => {
    const meter = startCpuMeter(process.pid);
    if (process.platform !== 'linux') {
      assert.equal(meter, null);
      return;
    }
    assert.ok(meter);
    const until = performance.now() + 150;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const spent = meter();
    assert.ok(x > 0);
    assert.ok(spent.load >= 0.1, `load ${spent.load}`);
    assert.ok(spent.server >= 0.05, `server ${spent.server}`); // the same process, counted in ticks
    assert.ok(spent.postgres >= 0);
  });
});
