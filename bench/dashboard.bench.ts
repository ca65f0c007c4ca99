// Time to first render of dashboard pages in headless Chromium (Debian's package, driven by
// playwright-core): the home page (a page of 50 changes with the weekly chart) and the policy
// page comparing ReadOnlyAccess v100 → v188. Same world as the browser tests: the full dataset
// imported, one IAM poll against the fake, the Amazon Q documentation feed polled.
// Each page is loaded once cold (first request after start: catalog and caches empty) and then
// `--repeat` times warm in a fresh browser context (no HTTP cache). Figures from the Navigation
// and Paint Timing APIs: TTFB (responseStart), first contentful paint, DOMContentLoaded, load.
//   node --import tsx bench/dashboard.bench.ts [--repeat N]
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../test/support/chromium.ts';
import { dashboardWorld } from '../test/support/dashboard.ts';

const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(process.argv[repeatAt + 1]) : 5;
if (!CHROMIUM_PATH || !existsSync(CHROMIUM_PATH)) {
  console.error('Chromium not found at /usr/bin/chromium: apt-get install -y chromium');
  process.exit(1);
}

const PAGES = [
  { name: 'home (50 changes + chart)', path: '/' },
  { name: 'ReadOnlyAccess v100→v188 diff', path: '/policies/ReadOnlyAccess?from=v100&to=v188' },
];

const cleanups: (() => Promise<unknown>)[] = [];
const t0 = performance.now();
const world = await dashboardWorld({ after: (fn) => cleanups.push(fn) });
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(JSON.stringify({ loadavg: loadavg(), setupSeconds: +((performance.now() - t0) / 1000).toFixed(1), chromium: execFileSync(CHROMIUM_PATH, ['--version']).toString().trim(), node: process.version }));
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });

async function load(path: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const start = performance.now();
  await page.goto(world.base + path, { waitUntil: 'load' });
  const wall = performance.now() - start;
  const t = await page.evaluate(async () => {
    // The browser's Performance (Node's types know no "navigation" entries). First contentful
    // paint can come after the load event on a busy machine: wait for it (buffered observer).
    type Entry = { name: string; startTime: number };
    const p = globalThis.performance as unknown as { getEntriesByType(t: string): unknown[] };
    const Observer = (globalThis as unknown as { PerformanceObserver: new (cb: (l: { getEntries(): Entry[] }) => void) => { observe(o: object): void } }).PerformanceObserver;
    const fcp = await new Promise<number | null>((resolve) => {
      new Observer((l) => {
        const e = l.getEntries().find((x) => x.name === 'first-contentful-paint');
        if (e) resolve(e.startTime);
      }).observe({ type: 'paint', buffered: true });
      setTimeout(() => resolve(null), 10_000);
    });
    const nav = p.getEntriesByType('navigation')[0] as { responseStart: number; responseEnd: number; domContentLoadedEventEnd: number; loadEventEnd: number; transferSize: number; decodedBodySize: number };
    return { ttfb: nav.responseStart, responseEnd: nav.responseEnd, fcp, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, bytes: nav.decodedBodySize };
  });
  await context.close();
  return { ...t, wall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rows: string[] = [];
for (const p of PAGES) {
  const cold = await load(p.path);
  const warm = [];
  for (let i = 0; i < repeat; i++) warm.push(await load(p.path));
  console.log(JSON.stringify({ page: p.name, cold, warm }));
  const ms = (x: number | null) => (x === null ? '–' : `${Math.round(x)} ms`);
  const fcps = warm.map((w) => w.fcp ?? NaN);
  rows.push(`| ${p.name} | ${ms(cold.ttfb)} / ${ms(cold.fcp)} / ${ms(cold.load)} | ${ms(median(warm.map((w) => w.ttfb)))} | **${ms(median(fcps))}** [${fcps.map((f) => Math.round(f)).join(', ')}] | ${ms(median(warm.map((w) => w.load)))} | ${(cold.bytes / 1024).toFixed(0)} KiB | ≤ 1 s | ${median(fcps) <= 1000 ? '**met**' : '**NOT met**'} |`);
}
console.log(`\nload average at the end: ${loadavg()} (2 cores)`);
console.log('\n| page | cold: TTFB / FCP / load | warm TTFB (median) | warm first contentful paint, median [runs] | warm load (median) | HTML | goal | verdict |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
await browser.close();
for (const fn of cleanups.reverse()) await fn();
process.exit(0);
