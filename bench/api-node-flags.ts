// A/B of Node launch flags on the HTTP API: one copy of the service per variant, all on the same
// database (the dataset imported first by a process of its own, so no variant's heap carries the
// import), loaded by autocannon (50 connections) route after route in rotation, the order reversed
// every other round, so load from elsewhere on the shared machine falls on every variant alike.
// Not a *.bench.ts (npm run bench does not run it): it measures a decision, scripts/node-flags.mjs.
//
//   node --import tsx bench/api-node-flags.ts [--rounds 3] [--duration 4] [--variant NAME=FLAGS]...
//
// Default variants: Node's own defaults (no flag), the service's flags (scripts/node-flags.mjs) and
// --max-semi-space-size=16. Per route and variant: req/s of each round, p99, and the service's CPU
// time per request (/proc, summed over the rounds); at the end its resident set. Measures only.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createTestDatabaseUrl } from '../test/support/db.ts';
import { serviceNodeFlags } from './compiled.ts';
import { processCpuTicks } from './proc-cpu.ts';

const API = fileURLToPath(new URL('./api.bench.ts', import.meta.url));
const ROUTES = [
  '/api/changes?limit=50', '/api/policies?limit=50', '/api/changes?action=iam:PassRole',
  '/api/policies/AmazonQFullAccess/diff?from=v4&to=v5', '/api/policies/ReadOnlyAccess/diff?from=v100&to=v188', '/api/actions/iam:PassRole',
];

/** api.bench.ts's --serve child (the real app; imports the dataset when the database is empty). */
function serve(url: string, flags: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(API, ['--serve', url], { execArgv: [...flags, '--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }); // stdout: its request log, to /dev/null as in api.bench.ts
  return new Promise((resolve, reject) => {
    proc.once('message', (m: { port: number }) => resolve({ proc, port: m.port }));
    proc.once('exit', (code) => reject(new Error(`service (${flags.join(' ') || 'no flags'}) exited ${code} before it was ready`)));
  });
}

const rssMiB = (pid: number | undefined) => Math.round(Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, duration: { type: 'string', default: '4' }, variant: { type: 'string', multiple: true } } });
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const variants: [string, string[]][] = values.variant
  ? values.variant.map((v) => [v.split('=')[0] ?? v, v.slice(v.indexOf('=') + 1).split(/\s+/).filter(Boolean)])
  : [['node default', []], ['service', await serviceNodeFlags()], ['semi-space 16', ['--max-semi-space-size=16']]];
console.log(JSON.stringify({ variants: Object.fromEntries(variants), rounds, duration, connections: 50, loadavg1: loadavg()[0] }));

const { url, drop } = await createTestDatabaseUrl();
const services: { name: string; proc: ChildProcess; port: number }[] = [];
try {
  const importer = await serve(url, []);
  importer.proc.kill();
  await new Promise((r) => importer.proc.once('exit', r));
  for (const [name, flags] of variants) services.push({ name, ...(await serve(url, flags)) });
  // Every route's first, cold answer on every copy, so the rounds measure warm answers.
  for (const s of services) for (const r of ROUTES) await (await fetch(`http://127.0.0.1:${s.port}${r}`)).arrayBuffer();
  const acc = new Map<string, { reqPerSec: number[]; p99Ms: number[]; ticks: number; requests: number }>();
  for (let round = 0; round < rounds; round++) {
    for (const route of ROUTES) {
      for (const s of round % 2 === 0 ? services : [...services].reverse()) {
        const target = `http://127.0.0.1:${s.port}${route}`;
        await autocannon({ url: target, connections: 50, duration: 1 });
        const t0 = processCpuTicks(s.proc.pid);
        const r = await autocannon({ url: target, connections: 50, duration });
        const ticks = processCpuTicks(s.proc.pid) - t0;
        console.log(JSON.stringify({ round, route, variant: s.name, reqPerSec: Math.round(r.requests.average), p99Ms: r.latency.p99, requests: r.requests.total, cpuTicks: ticks, loadavg1: loadavg()[0] }));
        const a = acc.get(`${route}|${s.name}`) ?? { reqPerSec: [], p99Ms: [], ticks: 0, requests: 0 };
        a.reqPerSec.push(Math.round(r.requests.average));
        a.p99Ms.push(r.latency.p99);
        a.ticks += ticks;
        a.requests += r.requests.total;
        acc.set(`${route}|${s.name}`, a);
      }
    }
  }
  console.log(`\n| route | ${services.map((s) => `${s.name}: req/s [rounds] · p99 · CPU µs/request`).join(' | ')} |`);
  console.log(`|---|${services.map(() => '---|').join('')}`);
  for (const route of ROUTES) {
    const cells = services.map((s) => {
      const a = acc.get(`${route}|${s.name}`);
      return a ? `[${a.reqPerSec.map((x) => x.toLocaleString('en')).join(', ')}] · ${a.p99Ms.join('/')} ms · ${((a.ticks * 10_000) / a.requests).toFixed(1)}` : '–';
    });
    console.log(`| \`${route}\` | ${cells.join(' | ')} |`);
  }
  const all = services.map((s) => {
    const xs = ROUTES.map((r) => acc.get(`${r}|${s.name}`)).filter((a) => a !== undefined);
    const ticks = xs.reduce((n, a) => n + a.ticks, 0);
    const requests = xs.reduce((n, a) => n + a.requests, 0);
    return `${s.name}: ${((ticks * 10_000) / requests).toFixed(1)} µs/request over ${requests.toLocaleString('en')} requests, resident ${rssMiB(s.proc.pid)} MiB`;
  });
  console.log(`\n${all.join('\n')}\nload average (1 min) at the end: ${loadavg()[0]?.toFixed(1)}`);
} finally {
  for (const s of services) s.proc.kill();
  await drop();
}
