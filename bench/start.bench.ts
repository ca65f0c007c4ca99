// First start as a new user has it: `npm start` from an empty data directory, no AWS
// credentials, the embedded database (PGlite). Measures the time from `npm start` to
//   - the first byte served (any answer on /healthz), and
//   - the full history served: /readyz 200 with the seed done, all 1,594 policies listed and
//     change events served.
// Goal: the full history within 30 s. Measures; never asserts. Also reports the CPU time of the
// whole process tree at both moments and the largest peak RSS in it (the server's).
//   node --import tsx bench/start.bench.ts [--repeat N] [--rebuild]
//   --rebuild removes dist/'s stamp and the PGlite template first, so the run includes all of
//   `npm run build` (a first start after an install); by default both are current, as on every
//   later start (a new data directory then starts from the template instead of initdb).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(import.meta.dirname, '..');
const GOAL_FULL_MS = 30_000;
const POLICIES = 1594;

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '1' }, rebuild: { type: 'boolean', default: false } } });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** The user's environment minus anything that points policywatch or the AWS SDK elsewhere. */
function firstStartEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(DATABASE_URL|HOST|PORT|LOG_LEVEL|POLICYWATCH_|AWS_|NODE_OPTIONS)/.test(k)) env[k] = v;
  return {
    ...env, POLICYWATCH_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1',
    // No credentials from anywhere: no ~/.aws files, no instance metadata.
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * CPU time (user + system, ms) used so far by a process and its descendants (npm, the shell, the
 * build, the server), from /proc. On a loaded machine wall time stretches; CPU time hardly does,
 * so it is the load-independent figure: an idle machine cannot start faster than this.
 */
function treeCpuMs(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15) cutime cstime.
      const rest = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').at(-1)?.split(' ') ?? [];
      const f = (i: number) => Number(rest[i - 3]);
      stats.set(Number(d), { ppid: f(4), ticks: f(14) + f(15) + f(16) + f(17) });
    } catch {
      // exited meanwhile
    }
  }
  let ticks = 0;
  const walk = (pid: number) => {
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [p, s] of stats) if (s.ppid === pid) walk(p);
  };
  walk(root);
  return Math.round((ticks * 1000) / 100); // USER_HZ is 100 on Linux
}

/** The largest peak RSS (VmHWM, MiB) of any process in the tree: the server's, in practice. */
function treePeakRssMiB(root: number): number {
  const parents = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      parents.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').at(-1)?.split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  let peak = 0;
  const walk = (pid: number) => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, Math.round(kb / 1024));
    } catch {
      // exited meanwhile
    }
    for (const [p, pp] of parents) if (pp === pid) walk(p);
  };
  walk(root);
  return peak;
}

const loadavg = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

async function get(url: string): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.json() };
  } catch {
    return undefined;
  }
}

async function once(run: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pw-start-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  if (values.rebuild) {
    // As after an install: nothing built, neither dist/ nor the embedded database's template.
    rmSync(join(ROOT, 'dist', 'BUILD_ID'), { force: true });
    rmSync(join(ROOT, 'dist', 'PGLITE_TEMPLATE_ID'), { force: true });
    rmSync(join(ROOT, 'dist', 'pglite-template'), { recursive: true, force: true });
  }
  const t0 = performance.now();
  const child = spawn('npm', ['start'], { cwd: ROOT, env: firstStartEnv(dataDir, port), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  const ms = () => Math.round(performance.now() - t0);
  try {
    const load = [loadavg()];
    let firstByteMs: number | undefined;
    while (firstByteMs === undefined) {
      if (exited) throw new Error(`npm start exited:\n${log}`);
      if (await get(`${base}/healthz`)) firstByteMs = ms();
      else await sleep(50);
    }
    const firstByteCpuMs = treeCpuMs(child.pid as number);
    load.push(loadavg());
    let readySeenSeeding = false;
    let fullMs: number | undefined;
    while (fullMs === undefined && ms() < 300_000) {
      const ready = await get(`${base}/readyz`);
      const status = (ready?.body as { status?: string } | undefined)?.status;
      if (status === 'seeding') readySeenSeeding = true;
      if (ready?.status === 200) {
        const policies = await get(`${base}/api/policies?limit=1`);
        const changes = await get(`${base}/api/changes?limit=1&kind=all`);
        const total = (policies?.body as { total?: number } | undefined)?.total;
        const events = ((changes?.body as { items?: unknown[] } | undefined)?.items ?? []).length;
        if (total === POLICIES && events > 0) fullMs = ms();
      }
      if (fullMs === undefined) await sleep(200);
    }
    const fullHistoryCpuMs = treeCpuMs(child.pid as number);
    const peakRssMiB = treePeakRssMiB(child.pid as number);
    load.push(loadavg());
    const firstLines = log.split('\n').filter(Boolean).slice(0, 12).map((l) => {
      try {
        return (JSON.parse(l) as { msg: string }).msg;
      } catch {
        return l;
      }
    });
    return { run, rebuild: values.rebuild, firstByteMs, firstByteCpuMs, fullHistoryMs: fullMs ?? null, fullHistoryCpuMs, peakRssMiB, loadavg1m: load, readyzSaidSeeding: readySeenSeeding, goal: fullMs !== undefined && fullMs <= GOAL_FULL_MS ? 'met' : 'NOT met', firstLines };
  } finally {
    // npm, the shell and node: the whole process group.
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 100 && !exited; i++) await sleep(100);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, goalFullHistoryMs: GOAL_FULL_MS }));
for (let i = 1; i <= Number(values.repeat); i++) console.log(JSON.stringify(await once(i)));
