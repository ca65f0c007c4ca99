// The scheduler's one-runner-per-job guarantee across replicas: two app instances over the SAME
// database (two connection pools on Postgres, one in-process engine on PGlite), each with its own
// Scheduler running a probe job that records when it ran.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import cron from 'node-cron';
import type { FastifyInstance } from 'fastify';
import { JobBusyError, Scheduler, type JobDef } from '../../src/jobs/scheduler.ts';
import type { Backend } from '../support/db.ts';
import { buildReplicas } from '../support/replicas.ts';
import { waitFor, watchdog } from '../support/cli.ts';
import { sqlClient } from '../support/pg-admin.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

const PROBE_LOCK = 0x7077746573740002n;

interface RunRecord {
  replica: string;
  start: number;
  end: number | undefined;
  aborted: boolean;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves after ms, or rejects with the signal's reason once it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A scheduler whose one job records its runs in `runs`; `body` decides how long a run lasts. */
function probeScheduler(app: FastifyInstance, replica: string, runs: RunRecord[], body: (signal: AbortSignal) => Promise<void>, cron = '0 0 1 1 *') {
  const logLines: { msg: string; job?: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logLines.push(JSON.parse(s) as { msg: string }) });
  const job: JobDef<string> = {
    name: 'probe', cron, lock: PROBE_LOCK,
    run: async (h) => {
      const rec: RunRecord = { replica, start: performance.now(), end: undefined, aborted: false };
      runs.push(rec);
      try {
        await body(h.signal);
      } catch (err) {
        rec.aborted = h.signal.aborted;
        throw err;
      } finally {
        rec.end = performance.now();
      }
      return replica;
    },
  };
  const s = new Scheduler({ services: app.services, log, jobs: [job as JobDef] });
  cleanups.push(() => s.stop());
  return { s, logLines };
}

/** node-cron tasks of the probe job still registered in this process. */
const probeTasks = () => [...cron.getTasks().values()].filter((t) => t.name === 'policywatch-probe').map((t) => t.getStatus());

/** No two runs overlap: sorted by start, each starts after the previous one ended. */
function assertNoOverlap(runs: RunRecord[]) {
  const sorted = [...runs].sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as RunRecord;
    const cur = sorted[i] as RunRecord;
    assert.ok(prev.end !== undefined && cur.start >= prev.end, `run ${i} (${cur.replica}) started at ${cur.start.toFixed(1)} before run ${i - 1} (${prev.replica}) ended at ${prev.end?.toFixed(1)}`);
  }
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  // timeout: a hang guard (a broken lock can leave runs waiting forever), not a speed check.
  describe(`one runner per job across replicas (${backend})`, { timeout: 300_000 }, async () => {
    const { apps, url } = await buildReplicas({ after: (fn) => cleanups.push(fn) }, 2, { backend });
    const [a, b] = apps as [FastifyInstance, FastifyInstance];

    test('runNow on both replicas at once: exactly one runs, the other is told {ran:false}; a second call on the runner is JobBusyError', async (t) => {
      const runs: RunRecord[] = [];
      const gate = deferred();
      const sa = probeScheduler(a, 'a', runs, () => gate.promise).s;
      const sb = probeScheduler(b, 'b', runs, () => gate.promise).s;
      const pa = sa.runNow<string>('probe');
      const pb = sb.runNow<string>('probe');
      // A broken lock would let both in, and both would wait at the gate forever: fail instead.
      t.after(() => gate.resolve());
      const bothRunning = watchdog('both replicas running', () => runs.length >= 2, () => `both replicas are running the job at once: ${runs.map((r) => r.replica).join(', ')}`);
      // The runner cannot finish before the gate opens, so the first answer is the loser's.
      const first = await Promise.race([pa.then((r) => ({ r, winner: { s: sb, p: pb, name: 'b' } })), pb.then((r) => ({ r, winner: { s: sa, p: pa, name: 'a' } })), bothRunning.tripped])
        .finally(() => bothRunning.cancel());
      assert.deepEqual(first.r, { ran: false });
      const loser = first.winner.s === sa ? sb : sa;
      await waitFor('the winner to start', () => runs.length === 1);
      assert.equal(runs[0]?.replica, first.winner.name);
      assert.equal(first.winner.s.isRunning('probe'), true);
      await assert.rejects(first.winner.s.runNow('probe'), (err: unknown) => err instanceof JobBusyError && err.statusCode === 409 && err.code === 'JOB_BUSY');
      assert.deepEqual(await loser.runNow('probe'), { ran: false }, 'the other replica still sees the lock taken');
      gate.resolve();
      assert.deepEqual(await first.winner.p, { ran: true, result: first.winner.name });
      assert.equal(runs.length, 1, 'nothing else ran');
      assert.equal(first.winner.s.isRunning('probe'), false);
      // The lock is free again: the former loser runs now.
      assert.deepEqual(await loser.runNow('probe'), { ran: true, result: first.winner.name === 'a' ? 'b' : 'a' });
      assertNoOverlap(runs);
    });

    test('stop() aborts the in-flight run, waits for it, then refuses new runs; the lock is released', async () => {
      const runs: RunRecord[] = [];
      const order: string[] = [];
      const never = new Promise<void>(() => {});
      const { s } = probeScheduler(a, 'a', runs, async (signal) => {
        try {
          await Promise.race([never, sleep(600_000, signal)]);
        } finally {
          order.push('run wound down');
        }
      });
      const p = s.runNow('probe');
      const outcome = p.then(() => 'resolved', (err: unknown) => `rejected: ${(err as Error).message}`);
      await waitFor('the run to start', () => runs.length === 1);
      await s.stop();
      order.push('stop resolved');
      assert.deepEqual(order, ['run wound down', 'stop resolved'], 'stop waits for the run');
      assert.equal(runs[0]?.aborted, true, 'the run saw its signal abort');
      assert.match(await outcome, /^rejected: shutting down/);
      assert.equal(s.isRunning('probe'), false);
      assert.deepEqual(await s.runNow('probe'), { ran: false }, 'a stopped scheduler runs nothing');
      s.start(); // after stop (e.g. seeding finished during shutdown): must not schedule anything
      assert.deepEqual(probeTasks(), [], 'no cron task registered by a stopped scheduler');
      const other = probeScheduler(b, 'b', runs, async () => {}).s;
      assert.deepEqual(await other.runNow('probe'), { ran: true, result: 'b' }, 'the lock went with the stopped run');
    });

    test('the lock\'s connection dying mid-run (server restart, killed backend) does not crash the process', { skip: backend !== 'postgres' }, async () => {
      const sql = sqlClient(url as string);
      cleanups.push(() => sql.close());
      const runs: RunRecord[] = [];
      const { s } = probeScheduler(a, 'a', runs, async () => {
        const [holder] = await sql.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        assert.ok(holder, 'the run holds its advisory lock');
        await sql.query('SELECT pg_terminate_backend($1)', [holder.pid]);
        await waitFor('the backend to be gone', async () => (await sql.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [holder.pid])).length === 0);
        // Give the client time to read the server's goodbye while it sits idle, checked out.
        await new Promise((r) => setTimeout(r, 200));
      });
      assert.deepEqual(await s.runNow('probe'), { ran: true, result: 'a' }, 'the run\'s own result stands');
      // The dead connection was not handed back to the pool: the lock and the app keep working.
      assert.deepEqual(await s.runNow('probe', async () => 'again'), { ran: true, result: 'again' });
      assert.equal((await a.inject('/readyz')).statusCode, 200);
    });

    test('cron every second on both replicas: runs never overlap and the schedule keeps running', async () => {
      const runs: RunRecord[] = [];
      // Each run outlasts the tick interval, so every tick meets a run in progress somewhere.
      const body = (signal: AbortSignal) => sleep(1200, signal);
      const ra = probeScheduler(a, 'a', runs, body, '*/1 * * * * *');
      const rb = probeScheduler(b, 'b', runs, body, '*/1 * * * * *');
      ra.s.start();
      rb.s.start();
      await waitFor('two completed runs', () => runs.filter((r) => r.end !== undefined && !r.aborted).length >= 2, { timeoutMs: 60_000, intervalMs: 100 });
      assert.equal(probeTasks().length, 2, 'one cron task per replica while running');
      await Promise.all([ra.s.stop(), rb.s.stop()]);
      assert.deepEqual(probeTasks(), [], 'stop() removes its tasks from node-cron\'s process-wide registry');
      const settled = runs.length;
      assert.ok(settled >= 2, `at least two runs (${settled})`);
      assertNoOverlap(runs);
      // Ticks that met the other replica's run were skipped at the lock, not queued or doubled.
      const skips = [...ra.logLines, ...rb.logLines].filter((l) => l.msg === 'another process holds the lock; skipping' || l.msg === 'tick skipped: previous run still going');
      assert.ok(skips.length >= 1, 'some ticks found the job already running');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(runs.length, settled, 'stopped schedulers start nothing more');
    });
  });
}
