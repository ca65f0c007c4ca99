// CPU time of other processes, from /proc (Linux): the Postgres server's and the whole machine's,
// which a bench reports beside its own process.cpuUsage(). Clock ticks are 10 ms (USER_HZ 100).
import { readdirSync, readFileSync } from 'node:fs';

export interface PostgresProcess {
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** The database a backend serves (from its process title); null for the server's own processes. */
  database: string | null;
}

/** Every local process named postgres, by pid; empty when /proc is not readable. */
export function postgresProcesses(): Map<number, PostgresProcess> {
  const out = new Map<number, PostgresProcess>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const f = stat.slice(close + 2).split(' ');
      // A backend's title: "postgres: 15/main: <user> <database> <client>(<port>) <state>".
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().split(/\s+/);
      const backend = /\(\d+\)$/.test(title[4] ?? '');
      // Fields after "(comm)": state is [0], utime is field 14 overall → [11], stime [12].
      out.set(Number(pid), { ticks: Number(f[11]) + Number(f[12]), database: backend ? (title[3] ?? null) : null });
    } catch {
      // Process ended between readdir and read.
    }
  }
  return out;
}

/** utime+stime (clock ticks) of every local process named postgres, by pid. */
export function postgresCpuTicks(): Map<number, number> {
  return new Map([...postgresProcesses()].map(([pid, p]) => [pid, p.ticks]));
}

/** Busy clock ticks of all CPUs since boot (/proc/stat: everything but idle and iowait). */
export function machineCpuTicks(): number | null {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return user + nice + system + irq + softirq + steal;
  } catch {
    return null;
  }
}

/** utime+stime (clock ticks) of one process; 0 when it is gone or /proc is not readable. */
export function processCpuTicks(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Peak resident set (VmHWM, MiB) of one process so far; null when it is gone or /proc is not readable. */
export function processPeakRssMiB(pid: number | undefined): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}
