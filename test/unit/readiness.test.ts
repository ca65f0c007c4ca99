// Source states for /readyz and `policywatch status`, judged from recorded runs; and "off"
// switching a source's schedule off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { judgeSource } from '../../src/services/readiness-service.ts';
import type { PollRunRow, PollStatus } from '../../src/core/stores.ts';
import { loadConfig } from '../../src/config/env.ts';
import { defaultJobs } from '../../src/jobs/definitions.ts';
import { Scheduler } from '../../src/jobs/scheduler.ts';
import type { Services } from '../../src/container.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
let nextId = 1;
/** Runs newest first, each [status, started minutes ago]. */
const runs = (...rs: [PollStatus, number][]): PollRunRow[] => rs.map(([status, ago]) => ({
  id: String(nextId++), source: 'iam', startedAt: minutesAgo(ago), finishedAt: status === 'running' ? null : minutesAgo(ago - 0.5),
  status, apiCalls: 0, policiesSeen: 0, policiesChanged: 0, versionsAdded: 0, datesCorrected: 0, errors: [],
}));
const judge = (enabled: boolean, rs: PollRunRow[], maxAgeMinutes = 60) => judgeSource({ enabled, runs: rs, maxAgeSeconds: maxAgeMinutes * 60, now: NOW });

test('a recent success is ok; none yet is pending; both are ready', () => {
  assert.deepEqual(pick(judge(true, runs(['succeeded', 5]))), { state: 'ok', reason: 'ok', ready: true, enabled: true });
  assert.deepEqual(pick(judge(true, runs(['partial', 5], ['failed', 10]))), { state: 'ok', reason: 'ok', ready: true, enabled: true });
  assert.deepEqual(pick(judge(true, [])), { state: 'pending', reason: 'pending', ready: true, enabled: true });
  assert.deepEqual(pick(judge(true, runs(['running', 1]))), { state: 'pending', reason: 'pending', ready: true, enabled: true });
});

test('failures say since when; they make the source unready only once it is stale', () => {
  const failing = judge(true, runs(['failed', 5], ['failed', 10], ['abandoned', 12], ['lost-lock', 13], ['interrupted', 14], ['failed', 15], ['succeeded', 20]));
  assert.deepEqual(pick(failing), { state: `failing since ${minutesAgo(15).toISOString()}`, reason: 'failing', ready: true, enabled: true });
  assert.equal(failing.lastSuccessAt, minutesAgo(19.5).toISOString());
  const stale = judge(true, runs(['failed', 5], ['failed', 70], ['succeeded', 90]));
  assert.deepEqual(pick(stale), { state: `failing since ${minutesAgo(70).toISOString()}`, reason: 'stale', ready: false, enabled: true });
  // Never succeeded: the clock starts at the first failure.
  assert.equal(judge(true, runs(['failed', 5], ['failed', 50])).ready, true);
  assert.equal(judge(true, runs(['failed', 5], ['failed', 65])).ready, false);
  // No run at all for longer than the maximum age after a success (a dead worker): stale.
  assert.deepEqual(pick(judge(true, runs(['succeeded', 90]))), { state: 'stale', reason: 'stale', ready: false, enabled: true });
  // A maximum age of 0 switches the age check off.
  assert.equal(judge(true, runs(['failed', 5], ['succeeded', 900]), 0).ready, true);
});

test('a disabled source is never what keeps the service unready', () => {
  assert.deepEqual(pick(judge(false, runs(['failed', 5], ['succeeded', 900]))), { state: 'disabled', reason: 'switched-off', ready: true, enabled: false });
  assert.deepEqual(pick(judge(true, runs(['skipped', 1], ['skipped', 6]))), { state: 'disabled', reason: 'no-credentials', ready: true, enabled: false });
  // Credentials that arrive later: the source is judged on its real runs again.
  assert.equal(judge(true, runs(['succeeded', 1], ['skipped', 6])).state, 'ok');
});

test('POLICYWATCH_POLL_CRON=off and POLICYWATCH_RSS_CRON=off switch each source off', () => {
  assert.equal(loadConfig({ POLICYWATCH_POLL_CRON: 'off' }).pollCron, null);
  assert.equal(loadConfig({ POLICYWATCH_RSS_CRON: ' OFF ' }).rssCron, null);
  assert.equal(loadConfig({}).pollCron, '*/5 * * * *');
  assert.throws(() => loadConfig({ POLICYWATCH_POLL_CRON: 'of' }), /POLICYWATCH_POLL_CRON is not a valid cron expression/);
  const jobs = defaultJobs(loadConfig({ POLICYWATCH_POLL_CRON: 'off', POLICYWATCH_RSS_CRON: 'off' }));
  assert.deepEqual(jobs.map((j) => [j.name, j.cron]), [['iam', null], ['rss', null]]);
});

test('the scheduler runs only the jobs that are switched on', async (t) => {
  for (const off of ['iam', 'rss']) {
    const ran: string[] = [];
    const services = {
      db: { tryWithLock: async <T>(_k: bigint, fn: () => Promise<T>) => ({ acquired: true as const, result: await fn() }) },
      stores: { pollRuns: { abandonRunning: async () => 0 } },
    } as unknown as Services;
    const logged: string[] = [];
    const log = { info: (_o: unknown, m: string) => logged.push(m), debug() {}, warn() {}, error() {}, child() { return log; } } as never;
    const job = (name: string) => ({ name, cron: name === off ? null : '* * * * * *', lock: 1n, run: async () => void ran.push(name) });
    const scheduler = new Scheduler({ services, log, jobs: [job('iam'), job('rss')] });
    t.after(() => scheduler.stop());
    scheduler.start();
    await sleep(2300);
    await scheduler.stop();
    const on = off === 'iam' ? 'rss' : 'iam';
    assert.ok(ran.includes(on), `${on} ran`);
    assert.ok(!ran.includes(off), `${off} never ran`);
    assert.ok(logged.includes('job switched off by its cron setting'));
  }
});

function pick(s: ReturnType<typeof judgeSource>) {
  return { state: s.state, reason: s.reason, ready: s.ready, enabled: s.enabled };
}
