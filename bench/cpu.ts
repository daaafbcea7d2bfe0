/**
 * CPU time spent by a benchmark arm, from Linux's /proc: the Vigil server process, every
 * PostgreSQL process, and this process (the load generator, or the floor's client). On a 2-core
 * machine both arms are bound by CPU, so CPU-seconds per 1,000 units say where a ratio comes from.
 * Where /proc is missing (not Linux) nothing is measured and the figures are left out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * User plus system time, in clock ticks, of one /proc/<pid>/stat line: fields 14 and 15. The
 * command name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
 */
export const ticksOfStat = (stat: string): number => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc stat line: ${stat.slice(0, 80)}`);
  return ticks;
};

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's CPU ticks; undefined once it has exited. */
const ticksOf = (pid: number | string): number | undefined => {
  try {
    return ticksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
};

/** Every PostgreSQL process's ticks, by pid (its backends, and the server's own processes). */
const postgresTicks = () => {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const t = ticksOf(pid);
    if (t !== undefined) ticks.set(pid, t);
  }
  return ticks;
};

export interface CpuSeconds {
  server: number;
  postgres: number;
  load: number;
}

/**
 * Starts measuring; the function it answers gives the CPU-seconds spent since. A PostgreSQL
 * process that started meanwhile (a new connection) counts whole; one that exited meanwhile is
 * lost, which only undercounts the database. Null without /proc.
 */
export const startCpuMeter = (serverPid: number | undefined): (() => CpuSeconds) | null => {
  if (!existsSync('/proc/self/stat')) return null;
  const server = serverPid === undefined ? 0 : (ticksOf(serverPid) ?? 0);
  const postgres = postgresTicks();
  const self = process.cpuUsage();
  return () => {
    let postgresSpent = 0;
    for (const [pid, t] of postgresTicks()) postgresSpent += t - (postgres.get(pid) ?? 0);
    const load = process.cpuUsage(self);
    return {
      server: serverPid === undefined ? 0 : ((ticksOf(serverPid) ?? server) - server) / ticksPerSecond,
      postgres: postgresSpent / ticksPerSecond,
      load: (load.user + load.system) / 1e6,
    };
  };
};

/** Sums of several measurements. */
export const addCpu = (a: CpuSeconds, b: CpuSeconds): CpuSeconds => ({
  server: a.server + b.server,
  postgres: a.postgres + b.postgres,
  load: a.load + b.load,
});

export const NO_CPU: CpuSeconds = { server: 0, postgres: 0, load: 0 };

/** CPU-seconds per 1,000 units (alerts, rows), by process and in all. */
export const cpuSecondsPer1k = (spent: CpuSeconds, units: number) => {
  const per = (s: number) => Math.round((s * 1e6) / units) / 1000;
  return {
    server: per(spent.server),
    postgres: per(spent.postgres),
    load: per(spent.load),
    total: per(spent.server + spent.postgres + spent.load),
  };
};
