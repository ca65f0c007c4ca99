// Benchmark: documentation-feed parsing, rss-parser (the service now) against fast-xml-parser (the
// service before issue 14), on an EKS-sized feed (~170 KB), as a bare parse and as a whole poll
// (HTTP GET from a local server + parse). Goals: new parse ≤ 2× the old; poll no slower than the old.
// Needs: the EKS excerpt in test/fixtures/rss (POLICYWATCH_CORPUS_RSS to override), the old parser
// from git (commit OLD_COMMIT) and fast-xml-parser (a devDependency). Without one of them it says
// which, measures nothing and exits 1.
// Run: node --import tsx bench/rss-parse.bench.ts [--runs N]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Parser from 'rss-parser';
import * as current from '../src/sources/rss/index.ts';
import { createOutboundClient } from '../src/sources/outbound/index.ts';

/** The last commit whose src/sources/rss parsed with fast-xml-parser. */
const OLD_COMMIT = 'cbd0e14';
const OLD_FILES = ['parse.ts', 'dates.ts', 'text.ts', 'fetch.ts'];
const TARGET_BYTES = 170 * 1024;
const EKS_URL = 'https://docs.aws.amazon.com/eks/latest/userguide/doc-history.rss';

/** Says what is missing and how to get it, then stops: a bench that measured nothing must not look like one that did. */
function cannotMeasure(what: string): never {
  console.error(`rss-parse bench: NOT MEASURED: ${what}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 200;
if (!Number.isInteger(RUNS) || RUNS < 10) cannotMeasure(`--runs wants a whole number of at least 10, got ${JSON.stringify(args[runsArg + 1] ?? '')}`);

const repo = fileURLToPath(new URL('..', import.meta.url));
// The EKS excerpt ships with the repository (test/fixtures/rss, a copy of the shared corpus's file).
const corpusDir = process.env['POLICYWATCH_CORPUS_RSS'] ?? join(repo, 'test', 'fixtures', 'rss');
const excerptFile = join(corpusDir, 'eks-userguide-doc-history.rss.excerpt.xml');
if (!existsSync(excerptFile)) {
  cannotMeasure(`the EKS excerpt ${excerptFile} is missing${process.env['POLICYWATCH_CORPUS_RSS'] === undefined ? ' (it is part of the repository: is this a full checkout?)' : ' (POLICYWATCH_CORPUS_RSS names a directory without it)'}`);
}

function git(...gitArgs: string[]): string {
  return execFileSync('git', ['-C', repo, ...gitArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
try {
  git('cat-file', '-e', `${OLD_COMMIT}^{commit}`);
} catch (err) {
  const noGit = (err as NodeJS.ErrnoException).code === 'ENOENT';
  cannotMeasure(noGit
    ? `the old parser is read from git (commit ${OLD_COMMIT}), and git is not installed`
    : `the old parser is read from git commit ${OLD_COMMIT}, which this checkout does not have (a shallow clone or a source archive: git fetch --unshallow)`);
}
try {
  createRequire(import.meta.url).resolve('fast-xml-parser');
} catch {
  cannotMeasure('fast-xml-parser, which the old parser needs, is not installed (a devDependency: npm ci without --omit=dev)');
}
/** The code measured: commit, and whether src/sources/rss differs from it. */
const measured = {
  commit: git('rev-parse', '--short', 'HEAD').trim(),
  rssSourcesModified: git('status', '--porcelain', '--', 'src/sources/rss').trim() !== '',
};

/**
 * The corpus holds the first 12 EKS items verbatim (the live feed is ~170 KB). The bench feed keeps
 * the excerpt's channel and repeats its items, each copy with its own guid, up to the live size.
 */
function eksSizedFeed(): { xml: string; items: number } {
  const excerpt = readFileSync(excerptFile, 'utf8');
  const first = excerpt.indexOf('<item>');
  const end = excerpt.lastIndexOf('</item>') + '</item>'.length;
  const head = excerpt.slice(0, first);
  const items = excerpt.slice(first, end);
  const tail = excerpt.slice(end);
  let body = '';
  let copies = 0;
  while (head.length + body.length + tail.length < TARGET_BYTES) {
    copies++;
    body += items.replace(/<\/guid>/g, `-copy${copies}</guid>`);
  }
  return { xml: head + body + tail, items: copies * (items.split('<item>').length - 1) };
}

interface RssModule {
  parseFeed: (xml: string, url: string) => unknown;
  pollFeed: (url: string, state: object, opts: { timeoutMs: number }) => Promise<{ ok: boolean }>;
}

/** The fast-xml-parser version of the module, as committed, in a directory that resolves our node_modules. */
async function oldModule(): Promise<RssModule> {
  const dir = join(repo, 'node_modules', '.cache', 'policywatch-bench', `rss-${OLD_COMMIT}`);
  mkdirSync(dir, { recursive: true });
  for (const f of OLD_FILES) {
    writeFileSync(join(dir, f), execFileSync('git', ['-C', repo, 'show', `${OLD_COMMIT}:src/sources/rss/${f}`], { encoding: 'utf8' }));
  }
  const parse = (await import(pathToFileURL(join(dir, 'parse.ts')).href)) as Pick<RssModule, 'parseFeed'>;
  const fetch = (await import(pathToFileURL(join(dir, 'fetch.ts')).href)) as Pick<RssModule, 'pollFeed'>;
  return { parseFeed: parse.parseFeed, pollFeed: fetch.pollFeed };
}

/** The value at fraction q of the sorted sample (q = 0.5: median). */
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] as number;
};
const median = (xs: number[]): number => quantile(xs, 0.5);

interface Times {
  wall: number[];
  /** CPU time of this process (user + system): what the machine's other load does not inflate. */
  cpu: number[];
}

/** Runs the two variants alternately (so machine drift hits both alike) and returns per-run ms. */
async function alternate(runs: number, a: () => unknown, b: () => unknown): Promise<[Times, Times]> {
  const ta: Times = { wall: [], cpu: [] };
  const tb: Times = { wall: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    for (const [fn, out] of i % 2 === 0 ? ([[a, ta], [b, tb]] as const) : ([[b, tb], [a, ta]] as const)) {
      const c = process.cpuUsage();
      const s = performance.now();
      await fn();
      out.wall.push(performance.now() - s);
      const d = process.cpuUsage(c);
      out.cpu.push((d.user + d.system) / 1000);
    }
  }
  return [ta, tb];
}

const { xml, items } = eksSizedFeed();
const old = await oldModule();
const oldFeed = old.parseFeed(xml, EKS_URL) as { items: unknown[] };
const newFeed = await current.parseFeed(xml, EKS_URL);
if (oldFeed.items.length !== items || newFeed.items.length !== items) throw new Error(`expected ${items} items from both parsers`);
// Both do the same work: every field of every item, identities included, comes out the same.
if (JSON.stringify(oldFeed.items) !== JSON.stringify(newFeed.items)) throw new Error('the old and the new parser read the bench feed differently');

const loadBefore = loadavg();
console.log(JSON.stringify({ measured, date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadBefore }, feedBytes: Buffer.byteLength(xml), items, runs: RUNS }));

// Warm-up: JIT both paths before measuring.
await alternate(20, () => old.parseFeed(xml, EKS_URL), () => current.parseFeed(xml, EKS_URL));
const [parseOld, parseNew] = await alternate(RUNS, () => old.parseFeed(xml, EKS_URL), () => current.parseFeed(xml, EKS_URL));

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: '"bench"' });
  res.end(xml);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/doc-history.rss`;
// The old fetch used the global fetch; today's goes through the outbound-URL guard (loopback admitted
// here), as the service's polls do.
const outbound = createOutboundClient({ allowPrivate: true });
const poll = (pollFeed: () => Promise<{ ok: boolean }>) => async () => {
  const r = await pollFeed();
  if (!r.ok) throw new Error('poll failed');
};
const pollOldFeed = poll(() => old.pollFeed(url, {}, { timeoutMs: 10_000 }));
const pollNewFeed = poll(() => current.pollFeed(url, {}, { timeoutMs: 10_000, http: outbound }));
await alternate(10, pollOldFeed, pollNewFeed);
const pollRuns = Math.max(20, Math.floor(RUNS / 2));
const [pollOld, pollNew] = await alternate(pollRuns, pollOldFeed, pollNewFeed);
server.close();
await outbound.close();

// Why reader.ts renames description before rss-parser maps it: rss-parser's own snippet regex is
// quadratic in unclosed "<". One 160 KB description of "&lt;" repeated, default rss-parser vs ours.
const hostile = `<rss version="2.0"><channel><title>T</title><item><title>x</title><description>${'&lt;'.repeat(40_000)}</description></item></channel></rss>`;
const sHostileOurs = performance.now();
await current.parseFeed(hostile, EKS_URL);
const hostileOurs = performance.now() - sHostileOurs;
const sHostileDefault = performance.now();
await new Parser().parseString(hostile);
const hostileDefault = performance.now() - sHostileDefault;

const f = (n: number) => n.toFixed(2);
const x = (n: number) => `${n.toFixed(2)}×`;
/** Per-run new ÷ old: runs alternate, so run i of each saw the same moment of the machine. */
const paired = (o: number[], n: number[]) => n.map((v, i) => v / (o[i] as number));
const spread = (xs: number[]) => ({ median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75) });
const summary = (t: Times) => ({ cpuMs: spread(t.cpu), wallMs: { ...spread(t.wall), p90: quantile(t.wall, 0.9) } });
const ratios = (o: Times, n: Times) => ({ cpu: spread(paired(o.cpu, n.cpu)), wall: spread(paired(o.wall, n.wall)) });
const parseRatio = ratios(parseOld, parseNew);
const pollRatio = ratios(pollOld, pollNew);
const loadAfter = loadavg();
const result = {
  parse: { old: summary(parseOld), new: summary(parseNew), ratio: parseRatio },
  poll: { runs: pollRuns, old: summary(pollOld), new: summary(pollNew), ratio: pollRatio, deltaCpuMs: median(pollNew.cpu) - median(pollOld.cpu) },
  hostileDescription: { oursMs: hostileOurs, rssParserDefaultMs: hostileDefault },
  loadavgAfter: loadAfter,
};
console.log(JSON.stringify(result));
const row = (t: Times) => `${f(median(t.cpu))} ms CPU (IQR ${f(quantile(t.cpu, 0.25))}–${f(quantile(t.cpu, 0.75))}); wall ${f(median(t.wall))}`;
const ratioCell = (r: ReturnType<typeof ratios>) => `${x(r.cpu.median)} (IQR ${x(r.cpu.p25)}–${x(r.cpu.p75)}); wall ${x(r.wall.median)}`;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log(`
commit ${measured.commit}${measured.rssSourcesModified ? ' + uncommitted changes in src/sources/rss' : ''}; load average ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after (${cpus().length} CPUs): wall figures carry the machine's other work, CPU figures (this process, user + system) do not.

| measure (${Buffer.byteLength(xml)} bytes, ${items} items), medians | fast-xml-parser (old) | rss-parser (new) | new ÷ old per run: CPU median (IQR); wall | goal (on CPU) |
|---|---|---|---|---|
| parseFeed, ${RUNS} runs | ${row(parseOld)} | ${row(parseNew)} | ${ratioCell(parseRatio)} | ≤ 2× — ${verdict(parseRatio.cpu.median <= 2)} |
| pollFeed (local GET + parse), ${pollRuns} runs | ${row(pollOld)} | ${row(pollNew)} | ${ratioCell(pollRatio)} | no slower (≤ 1.00×) — ${verdict(pollRatio.cpu.median <= 1)} |
| one description of 40,000 "&lt;" (160 KB), wall | — | ours ${f(hostileOurs)} ms; rss-parser with its defaults ${f(hostileDefault)} ms | | |`);
