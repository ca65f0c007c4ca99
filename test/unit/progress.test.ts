// Progress reporting: sinks hear at most once per interval plus a final report, with rate and ETA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, describeProgress, logProgress, type ProgressSnapshot } from '../../src/core/progress.ts';
import { progressBar, renderBar } from '../../src/commands/progress-bar.ts';

function clock(start = 0) {
  let t = start;
  return { now: () => t, tick: (ms: number) => void (t += ms) };
}

test('a sink is called at most once per interval, and once more at the end', () => {
  const c = clock();
  const seen: ProgressSnapshot[] = [];
  const p = new Progress('import', [{ intervalMs: 2000, report: (s) => seen.push(s) }], c.now);
  p.setTotal(100);
  for (let i = 0; i < 50; i++) {
    c.tick(200); // 10 s in all
    p.advance(2, 3);
  }
  assert.equal(seen.length, 5, 'one report per 2 s over 10 s');
  for (let i = 1; i < seen.length; i++) {
    assert.ok((seen[i] as ProgressSnapshot).elapsedSeconds - (seen[i - 1] as ProgressSnapshot).elapsedSeconds >= 2);
  }
  const mid = seen[2] as ProgressSnapshot;
  assert.deepEqual({ done: mid.policiesDone, versions: mid.versionsDone, rate: mid.rate, eta: mid.etaSeconds }, { done: 60, versions: 90, rate: 10, eta: 4 });
  p.finish();
  p.finish();
  assert.equal(seen.length, 6, 'one final report, however often finish is called');
  assert.equal(seen.at(-1)?.done, true);
  assert.equal(seen.at(-1)?.policiesDone, 100);
});

test('a short job reports only its final line; each sink keeps its own pace', () => {
  const c = clock();
  const slow: ProgressSnapshot[] = [];
  const fast: ProgressSnapshot[] = [];
  const p = new Progress('seed', [{ intervalMs: 2000, report: (s) => slow.push(s) }, { intervalMs: 100, report: (s) => fast.push(s) }], c.now);
  for (let i = 0; i < 10; i++) {
    c.tick(150);
    p.advance(1);
  }
  p.finish();
  assert.equal(slow.length, 1);
  assert.equal(fast.length, 11);
});

test('phases count on their own; ETA is unknown without a total or before any work', () => {
  const c = clock();
  const p = new Progress('import', [], c.now);
  assert.equal(p.snapshot().etaSeconds, undefined);
  c.tick(1000);
  p.advance(10, 40);
  assert.equal(p.snapshot().etaSeconds, undefined, 'no total: no ETA');
  p.startPhase('events', 20);
  assert.deepEqual({ phase: p.snapshot().phase, done: p.snapshot().policiesDone, versions: p.snapshot().versionsDone }, { phase: 'events', done: 0, versions: 40 });
  c.tick(1000);
  p.advance(5);
  assert.equal(p.snapshot().rate, 5);
  assert.equal(p.snapshot().etaSeconds, 3);
});

test('the log sink writes one info line with the numbers a person reads', () => {
  const lines: { obj: { progress: ProgressSnapshot }; msg: string }[] = [];
  const log = { info: (obj: { progress: ProgressSnapshot }, msg: string) => lines.push({ obj, msg }) } as unknown as Parameters<typeof logProgress>[0];
  const c = clock();
  const p = new Progress('seed', [logProgress(log)], c.now);
  p.setTotal(1594);
  c.tick(2000);
  p.advance(400, 1500);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.msg, 'seed: versions 400/1594 policies, 1500 versions, 200/s, ETA 6 s');
  assert.equal(lines[0]?.obj.progress.policiesTotal, 1594);
});

test('the terminal bar redraws one line per phase and ends with a newline', () => {
  let out = '';
  const c = clock();
  const p = new Progress('import', [progressBar({ write: (t: string) => (out += t) }, 0)], c.now);
  p.setTotal(4);
  c.tick(10);
  p.advance(2, 2);
  assert.ok(out.startsWith(`\r\u001b[2K[${'#'.repeat(12)}${'-'.repeat(12)}] import: versions 2/4 policies, 2 versions`), JSON.stringify(out));
  p.startPhase('events', 2);
  c.tick(10);
  p.advance(2);
  p.finish();
  assert.equal(out.split('\n').length, 3, 'versions line, events line, final newline');
  assert.ok(out.endsWith('done\n'));
  assert.equal(renderBar({ ...p.snapshot(), policiesTotal: undefined, done: false }).slice(0, 26), `[${'-'.repeat(24)}]`);
  assert.match(describeProgress({ ...p.snapshot(), done: false, etaSeconds: undefined }), /ETA unknown$/);
});
