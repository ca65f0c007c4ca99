// Fencing of the IAM poll, with real `policywatch poll --once` processes, a fake IAM endpoint
// behind a gate proxy (so "mid-poll" is a fact) and a fresh Postgres database: the backend
// holding a poll's advisory lock is terminated mid-poll, and the run statuses must stay true.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabaseUrl } from '../support/db.ts';
import { sqlClient } from '../support/pg-admin.ts';
import { fakeAwsEnv, killIfRunning, runCli, spawnCli, waitFor, type CliProcess } from '../support/cli.ts';
import { startGatedIam } from '../support/gated-iam.ts';
import { policyOf } from '../support/gate-proxy.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

type RunRow = {
  id: string;
  status: string;
  finished: boolean;
  codes: string[];
  messages: string;
};

// timeout: a hang guard for a process that never exits, not a speed check.
describe('IAM poll fencing: the lock\'s backend terminated mid-poll', { timeout: 600_000 }, async () => {
  const { gate } = await startGatedIam(cleanups);

  const freshDb = async () => {
    const { url, drop } = await createTestDatabaseUrl();
    const sql = sqlClient(url);
    cleanups.push(drop, () => sql.close());
    const env = { DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off', POLICYWATCH_IAM_CONCURRENCY: '2', ...fakeAwsEnv(gate.url) };
    const versions = async () => (await sql.query<{ key: string }>(
      `SELECT p.name || '/' || v.version_id AS key FROM policy_versions v JOIN policies p ON p.id = v.policy_id`)).map((r) => r.key).sort();
    const runs = () => sql.query<RunRow>(`SELECT id::text, status, finished_at IS NOT NULL AS finished,
        ARRAY(SELECT e->>'code' FROM jsonb_array_elements(errors) e) AS codes, errors::text AS messages
      FROM poll_runs WHERE source = 'iam' ORDER BY id`);
    const events = async () => (await sql.query<{ key: string }>(
      `SELECT p.name || '/' || e.to_version_id AS key FROM change_events e JOIN policies p ON p.id = e.policy_id WHERE e.kind <> 'deprecated'`)).map((r) => r.key).sort();
    /** The backend holding the poll's advisory lock. */
    const lockHolder = async () => (await sql.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))[0]?.pid;
    const terminate = async (pid: number) => {
      await sql.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor('the backend to be gone', async () => (await sql.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length === 0);
    };
    return { sql, env, versions, runs, events, lockHolder, terminate };
  };
  const watch = (p: CliProcess) => {
    cleanups.push(async () => killIfRunning(p));
    return p;
  };
  /**
   * A poll --once that waits at the gate on AmazonQFullAccess's versions after the policies listed
   * before it were stored. One policy at a time, so nothing else of it is in flight: whatever it
   * does next happens after the test's move (a second worker could be mid-write, or find the lock
   * gone on its own, before the test looks).
   */
  const pollHeldMidRun = async (db: Awaited<ReturnType<typeof freshDb>>) => {
    gate.hold((r) => r.action === 'GetPolicyVersion' && policyOf(r) === 'AmazonQFullAccess');
    const p = watch(spawnCli(['poll', '--once'], { ...db.env, POLICYWATCH_IAM_CONCURRENCY: '1' }));
    await waitFor('the poll to be mid-run with some versions stored', async () => gate.held().length > 0 && (await db.versions()).length > 0, {
      timeoutMs: 90_000, abortIf: () => (p.exited() ? `poll exited early: ${p.stderr()}` : undefined),
    });
    return p;
  };

  test('the first poll stops with lost-lock before writing again; a second poll completes; statuses stay true', async () => {
    const db = await freshDb();
    const first = await pollHeldMidRun(db);
    const pid = await db.lockHolder();
    assert.ok(pid, 'the poll holds its advisory lock');
    await db.terminate(pid);
    const before = await db.versions();
    gate.release();
    const r1 = await first.done;
    assert.equal(r1.code, 1, `a poll that lost its lock does not exit 0: ${r1.stderr}`);
    const out1 = JSON.parse(r1.stdout) as { id: string; status: string };
    assert.equal(out1.status, 'lost-lock');
    assert.deepEqual(await db.versions(), before, 'nothing was written after the lock was lost');
    const [run1] = await db.runs();
    assert.equal(run1?.status, 'lost-lock');
    assert.ok(run1?.codes.includes('LOST_LOCK'));
    assert.doesNotMatch(run1?.messages ?? '', /prisma|invocation|57P01|terminating connection/i, 'our own message, not the driver\'s');

    const r2 = await runCli(['poll', '--once'], db.env);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal((JSON.parse(r2.stdout) as { status: string }).status, 'succeeded');
    assert.equal((await db.versions()).length, 21, 'the second poll stored the rest');
    assert.deepEqual(await db.events(), await db.versions(), 'one change event per stored version');
    assert.deepEqual((await db.runs()).map((r) => [r.id, r.status, r.finished]), [[out1.id, 'lost-lock', true], [(JSON.parse(r2.stdout) as { id: string }).id, 'succeeded', true]]);
  });

  test('a second poll that takes the lock first marks the run abandoned, and the first poll never overwrites it', async () => {
    const db = await freshDb();
    const first = await pollHeldMidRun(db);
    const pid = await db.lockHolder();
    assert.ok(pid);
    await db.terminate(pid);
    // New requests pass the gate; the first poll's stay held until release.
    gate.hold(() => false);
    const r2 = await runCli(['poll', '--once'], db.env);
    assert.equal(r2.code, 0, r2.stderr);
    const second = JSON.parse(r2.stdout) as { id: string; status: string };
    assert.equal(second.status, 'succeeded');
    const [stale] = await db.runs();
    assert.equal(stale?.status, 'abandoned', 'the second poll closed the first one\'s run');
    const complete = await db.versions();
    assert.equal(complete.length, 21);

    gate.release();
    const r1 = await first.done;
    assert.notEqual(r1.code, 0, r1.stderr);
    assert.equal((JSON.parse(r1.stdout) as { status: string }).status, 'abandoned', 'the stored status is what the first poll reports');
    assert.deepEqual(await db.versions(), complete, 'the first poll wrote nothing after losing its lock');
    assert.deepEqual(await db.events(), complete, 'one change event per stored version');
    assert.deepEqual((await db.runs()).map((r) => [r.id, r.status, r.finished]), [[stale.id, 'abandoned', true], [second.id, 'succeeded', true]],
      'abandoned is never overwritten by the first poll');
  });

  test('SIGTERM to poll --once mid-run: the run is marked interrupted before the process exits', async () => {
    const db = await freshDb();
    const p = await pollHeldMidRun(db);
    p.child.kill('SIGTERM');
    const r = await p.done;
    assert.equal(r.signal, null, `exited by itself: ${r.stderr}`);
    const runs = await db.runs();
    assert.deepEqual(runs.map((x) => [x.status, x.finished]), [['interrupted', true]]);
    assert.ok(runs[0]?.codes.includes('INTERRUPTED'));
  });
});
