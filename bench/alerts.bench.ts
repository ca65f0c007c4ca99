// Alert delivery: throughput of one dispatcher process to a local receiver, and the time from
// the event transaction's commit to the delivery's first attempt arriving at the receiver.
//
//   throughput  N deliveries of a real change event (AmazonQFullAccess, imported from the test
//               fixtures), queued in one event transaction, sent as signed webhooks by the app's
//               own dispatcher (pg-boss, default concurrency) to a receiver in a child process;
//               from the commit to the last arrival, --runs times (median printed)
//   latency     one delivery per transaction, one after another: commit → request at receiver
//
// Run:  node --import tsx bench/alerts.bench.ts [--backend postgres|pglite] [--count 3000] [--runs 5]
//         [--samples 300] [--concurrency 16] [--log-level info] [--queries] [--profile out.cpuprofile]
// --queries lists the statements of each run and what they did to each table; --profile writes a
// CPU profile of the dispatcher's process for the last run.
// Goals (issue 11): ≥ 500 deliveries/s on one process; event stored → first attempt ≤ 1 s (p99).
// Prints JSON lines, then a summary. Needs the local Postgres for --backend postgres (default).
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { cpus, loadavg, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig, type LogLevel } from '../src/config/env.ts';
import { loggerOptions } from '../src/config/logger.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { asTransaction } from '../src/db/transaction.ts';
import { SqlAlertOutboxStore } from '../src/db/stores/alert-outbox-store.ts';
import { newDeliveryId } from '../src/services/alerts/ids.ts';
import { readImportSource } from '../src/sources/import/index.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { createTestDatabaseUrl } from '../test/support/db.ts';
import { machineCpuTicks, postgresProcesses } from './proc-cpu.ts';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'postgres' }, count: { type: 'string', default: '3000' }, samples: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '16' }, runs: { type: 'string', default: '5' }, profile: { type: 'string' }, queries: { type: 'boolean', default: false }, 'log-level': { type: 'string', default: 'info' }, receiver: { type: 'boolean', default: false } } });

// The receiver runs in its own process so it does not share the dispatcher's event loop. It notes
// each arrival's time as the request ends and reports them in batches (one IPC message per turn
// of its event loop, not one per request), so that the bench's own bookkeeping in the dispatcher's
// process stays small next to the sends it measures.
if (values.receiver) {
  const { createServer } = await import('node:http');
  let pending: [string, number][] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    process.send?.({ arrivals: batch });
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (pending.length === 0) setImmediate(flush);
      pending.push([String(req.headers['webhook-id']), performance.timeOrigin + performance.now()]);
      res.writeHead(204).end();
    });
  });
  process.on('message', (m: { cpu?: boolean }) => {
    if (m.cpu) process.send?.({ cpu: process.cpuUsage() });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
} else {
  await main();
}

async function main() {
  const backend = values.backend === 'pglite' ? 'pglite' : 'postgres';
  const count = Number(values.count);
  const samples = Number(values.samples);
  const runs = Number(values.runs);
  const child = fork(fileURLToPath(import.meta.url), ['--receiver'], { execArgv: ['--import', 'tsx'] });
  const arrivals = new Map<string, number>();
  let awaited = new Set<string>();
  let allArrived = () => {};
  let receiverCpu = (_: NodeJS.CpuUsage) => {};
  const port = await new Promise<number>((resolve) => child.on('message', (m: { port?: number; arrivals?: [string, number][]; cpu?: NodeJS.CpuUsage }) => {
    if (m.port) resolve(m.port);
    if (m.cpu) receiverCpu(m.cpu);
    for (const [id, at] of m.arrivals ?? []) {
      arrivals.set(id, at);
      if (awaited.delete(id) && awaited.size === 0) allArrived();
    }
  }));
  const receiverCpuNow = () => new Promise<NodeJS.CpuUsage>((resolve) => {
    receiverCpu = resolve;
    child.send({ cpu: true });
  });

  // Every statement any pg client of this process sends (the app's pool and pg-boss's), by its
  // first words: the queries a delivery costs Postgres, which shares the machine's cores.
  const queries = new Map<string, number>();
  const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as string | { text?: string } | undefined;
    const text = typeof q === 'string' ? q : q?.text;
    if (text) {
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
      queries.set(key, (queries.get(key) ?? 0) + 1);
    }
    return query.apply(this, a);
  } as typeof pg.Client.prototype.query;

  let drop = async () => {};
  let url: string | undefined;
  if (backend === 'postgres') ({ url, drop } = await createTestDatabaseUrl());
  const dbName = url ? new URL(url).pathname.slice(1) : undefined;
  const db = await openDatabase({ databaseUrl: url, poolMax: 20 });
  await migrate(db);
  // A bootstrap admin key for the bench's own subscription (state-changing routes need one, issue 8).
  const adminKey = `pw_bench_${'k'.repeat(32)}`;
  const config = loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: values['log-level'], POLICYWATCH_ALLOW_PRIVATE_URLS: 'on', POLICYWATCH_ALERT_CONCURRENCY: values.concurrency, POLICYWATCH_ADMIN_API_KEY: adminKey });
  // Logs as the service logs by default (LOG_LEVEL info, the service's own redaction: one line
  // per delivery), written to a file as a deployment's log collector would take them, not to the
  // bench's output; --log-level to compare.
  const logFile = join(tmpdir(), `policywatch-alerts-bench-${process.pid}.log`);
  const logStream = pino.destination({ dest: logFile, sync: true });
  const app = await buildApp({ config, db, worker: false, seed: false, logger: { ...loggerOptions({ logLevel: values['log-level'] as LogLevel }), stream: logStream } });
  await app.ready();
  try {
    await app.services.importer.import('bench', readImportSource(`${PACKAGE_ROOT}/test/fixtures/import/iamtrail`, { onProblem: () => {} }));
    const events = (await app.inject('/api/policies/AmazonQFullAccess/changes?kind=all')).json() as { items: { id: string }[] };
    const eventId = events.items[0]?.id;
    if (!eventId) throw new Error('no event to send');
    const sub = (await app.inject({ method: 'POST', url: '/api/subscriptions', headers: { authorization: `Bearer ${adminKey}` }, payload: { name: 'bench', kind: 'webhook', url: `http://127.0.0.1:${port}/hook` } })).json() as { id: string };
    const store = new SqlAlertOutboxStore(app.services.alerts.queue);
    const tableStats = async () => new Map((await db.sql.query<{ name: string; seq_scan: string; seq_tup_read: string; idx_scan: string; idx_tup_fetch: string; n_tup_ins: string; n_tup_upd: string; n_tup_hot_upd: string; n_tup_del: string; n_live_tup: string; n_dead_tup: string }>(
      `SELECT schemaname || '.' || relname AS name, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, n_live_tup, n_dead_tup
       FROM pg_stat_user_tables WHERE schemaname IN ('public', 'pgboss')`,
    )).map(({ name, ...v }) => [name, Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Number(x ?? 0)]))] as const));
    /** Resolves when every id has arrived; call before the ids can arrive (before the commit). */
    const arrivalOf = (ids: string[], timeoutMs: number) => new Promise<void>((resolve, reject) => {
      awaited = new Set(ids.filter((id) => !arrivals.has(id)));
      const timer = setTimeout(() => reject(new Error(`${awaited.size} deliveries did not arrive`)), timeoutMs);
      allArrived = () => {
        clearTimeout(timer);
        resolve();
      };
      if (awaited.size === 0) allArrived();
    });
    const enqueueAndWait = async (n: number, timeoutMs: number) => {
      const ids = Array.from({ length: n }, () => newDeliveryId());
      const arrived = arrivalOf(ids, timeoutMs);
      await db.sql.transaction((sql) => store.enqueue(asTransaction(sql), ids.map((deliveryId) => ({ subscriptionId: sub.id, deliveryId, kind: 'event' as const, eventIds: [eventId] }))));
      return { ids, committed: performance.timeOrigin + performance.now(), arrived };
    };
    await app.services.alerts.dispatch();
    // Warm-up: first connections, JIT.
    await (await enqueueAndWait(300, 60_000)).arrived;

    // Throughput: `runs` times, `count` deliveries queued in one event transaction (the poll's,
    // not the dispatcher's work: its CPU is not counted), measured from its commit to the last
    // arrival at the receiver.
    const results: { perSecond: number; cpuMs: number; pgMs: number | null; pgServerMs: number | null; receiverMs: number; machineMs: number | null; queries: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const profiling = values.profile && r === runs - 1 ? await startProfile() : null;
      queries.clear();
      const tables0 = values.queries ? await tableStats() : null;
      const { ids, committed, arrived } = await enqueueAndWait(count, 600_000);
      const cpu0 = process.cpuUsage();
      const pg0 = postgresProcesses();
      const m0 = machineCpuTicks();
      const rc0 = await receiverCpuNow();
      // Statements of the enqueue transaction itself are not the dispatcher's.
      const enqueueQueries = [...queries.values()].reduce((a, b) => a + b, 0);
      await arrived;
      const last = Math.max(...ids.map((id) => arrivals.get(id) ?? 0));
      const cpu = process.cpuUsage(cpu0);
      const rc1 = await receiverCpuNow();
      const pg1 = postgresProcesses();
      const m1 = machineCpuTicks();
      // The last jobs' completions may still be in flight: let them land before counting queries.
      await new Promise((res) => setTimeout(res, 200));
      if (profiling) await profiling.stop(String(values.profile));
      const perSecond = count / ((last - committed) / 1000);
      const nQueries = [...queries.values()].reduce((a, b) => a + b, 0) - enqueueQueries;
      // PGlite runs inside this process: its CPU is in cpuMs, its statements are not counted.
      const onPostgres = backend === 'postgres' && pg1.size > 0;
      let pgTicks = 0;
      let pgServerTicks = 0;
      for (const [pid, p] of pg1) {
        const d = p.ticks - (pg0.get(pid)?.ticks ?? 0);
        // Other databases' backends are other people's work on a shared machine.
        if (p.database === dbName) pgTicks += d;
        else if (p.database === null) pgServerTicks += d;
      }
      const res = {
        perSecond, cpuMs: (cpu.user + cpu.system) / 1000, pgMs: onPostgres ? pgTicks * 10 : null, pgServerMs: onPostgres ? pgServerTicks * 10 : null,
        receiverMs: (rc1.user + rc1.system - rc0.user - rc0.system) / 1000, machineMs: m0 !== null && m1 !== null ? (m1 - m0) * 10 : null, queries: nQueries,
      };
      results.push(res);
      const per = (v: number | null) => (v === null ? null : Number((v / count).toFixed(3)));
      console.log(JSON.stringify({
        bench: 'alerts', backend, scenario: 'throughput', run: r + 1, deliveries: count, concurrency: config.alertConcurrency,
        sendMs: Math.round(last - committed), perSecond: Math.round(perSecond),
        // CPU per delivery, from the commit to the last arrival: the dispatcher's process (the
        // app, idle otherwise, and the bench's arrival bookkeeping), the Postgres backends of the
        // bench's database, the Postgres server's own processes (WAL writer, checkpointer,
        // autovacuum: shared with anyone else's databases), the receiver, and the whole machine.
        cpuMsPerDelivery: per(res.cpuMs), postgresCpuMsPerDelivery: per(res.pgMs), postgresServerCpuMsPerDelivery: per(res.pgServerMs), receiverCpuMsPerDelivery: per(res.receiverMs), machineCpuMsPerDelivery: per(res.machineMs),
        perCpuSecond: Math.round((1000 * count) / res.cpuMs), queriesPerDelivery: backend === 'postgres' ? per(nQueries) : null,
        loadavg: loadavg().map((l) => Number(l.toFixed(2))),
      }));
      if (tables0) {
        // What the statements did to each table (enqueue included), from Postgres' statistics.
        await new Promise((res) => setTimeout(res, 600));
        const t1 = await tableStats();
        for (const [name, v] of t1) {
          const v0 = tables0.get(name);
          const d = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x - (v0?.[k] ?? 0)]).filter(([, x]) => x !== 0));
          if (Object.keys(d).length > 0) console.log(`  table ${name} ${JSON.stringify(d)}`);
        }
      }
      if (values.queries) {
        const top = [...queries.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
        for (const [q, n] of top) console.log(`  ${String(n).padStart(6)}  ${q}`);
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
    const rates = results.map((r) => Math.round(r.perSecond));
    const cpuMs = med(results.map((r) => r.cpuMs / count));
    const pgMsAll = results.map((r) => r.pgMs);
    const pgMs = pgMsAll.every((v) => v !== null) ? med(pgMsAll as number[]) / count : null;

    // Latency: commit → first attempt at the receiver, one at a time.
    const lat: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { ids, committed, arrived } = await enqueueAndWait(1, 30_000);
      await arrived;
      lat.push((arrivals.get(ids[0] as string) ?? 0) - committed);
      await new Promise((r) => setTimeout(r, Math.random() * 50));
    }
    lat.sort((a, b) => a - b);
    const pct = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0);
    console.log(JSON.stringify({ bench: 'alerts', backend, scenario: 'latency', samples, p50Ms: pct(50), p95Ms: pct(95), p99Ms: pct(99), maxMs: Math.round(lat.at(-1) ?? 0) }));
    console.log(JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => l.toFixed(2)), node: process.version } }));
    const perSecond = med(rates);
    console.log(`\n${backend}: ${perSecond} deliveries/s, median of ${runs} [${rates.join(', ')}] (goal ≥ 500: ${perSecond >= 500 ? 'met' : 'NOT met'}); `
      + `CPU per delivery: dispatcher ${cpuMs.toFixed(2)} ms${pgMs === null ? '' : `, postgres ${pgMs.toFixed(2)} ms`}; `
      + `commit → first attempt p50 ${pct(50)} ms, p99 ${pct(99)} ms (goal ≤ 1000 ms: ${pct(99) <= 1000 ? 'met' : 'NOT met'})`);
  } finally {
    await app.close();
    await db.close();
    await drop();
    child.kill();
    logStream.end();
    rmSync(logFile, { force: true });
  }
}

/** The inspector's CPU profiler around one throughput run (`--profile out.cpuprofile`). */
async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(path: string) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
