// The IAM poll as real processes die and collide: `policywatch poll --once` is spawned against a
// fake IAM endpoint in this process (through a gate proxy that can hold chosen requests, so
// "the poll is mid-run" is a fact, not a timing bet) and a fresh Postgres database.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { documentHash } from '../../src/core/canonical.ts';
import type { JsonValue } from '../../src/core/history.ts';
import { createTestDatabaseUrl } from '../support/db.ts';
import { sqlClient } from '../support/pg-admin.ts';
import { fakeAwsEnv, killIfRunning, runCli, spawnCli, waitFor, watchdog, type CliProcess } from '../support/cli.ts';
import { startGatedIam } from '../support/gated-iam.ts';
import { policyOf } from '../support/gate-proxy.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

// timeout: a hang guard for a process that never exits, not a speed check.
describe('IAM poll: killed, interrupted and concurrent processes', { timeout: 600_000 }, async () => {
  const { fake, gate } = await startGatedIam(cleanups);

  /** Every (policy, version) the fake holds, with the hash of its document. */
  const fakeVersions = () => new Map<string, string>(fake.policyNames().flatMap((name) => [...(fake.getPolicy(name)?.versions.values() ?? [])].map((v) => [
    `${name}/${v.versionId}`, documentHash(JSON.parse(v.document) as JsonValue),
  ] as const)));

  const freshDb = async () => {
    const { url, drop } = await createTestDatabaseUrl();
    const sql = sqlClient(url);
    cleanups.push(drop, () => sql.close());
    const env = { DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off', POLICYWATCH_IAM_CONCURRENCY: '2', ...fakeAwsEnv(gate.url) };
    const stored = async () => sql.query<{ key: string; hash: string }>(
      `SELECT p.name || '/' || v.version_id AS key, v.document_hash AS hash FROM policy_versions v JOIN policies p ON p.id = v.policy_id`);
    const runs = () => sql.query<{ id: string; status: string; finished: boolean }>(`SELECT id::text, status, finished_at IS NOT NULL AS finished FROM poll_runs WHERE source = 'iam' ORDER BY id`);
    /** Advisory locks still held in this database (a dead process's session may linger briefly). */
    const advisoryLocks = async () => Number((await sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))[0]?.n);
    /** Change events per stored version (policy/version keys, deprecations left out). */
    const events = async () => (await sql.query<{ key: string }>(
      `SELECT p.name || '/' || e.to_version_id AS key FROM change_events e JOIN policies p ON p.id = e.policy_id WHERE e.kind <> 'deprecated'`)).map((r) => r.key).sort();
    return { url, sql, env, stored, runs, advisoryLocks, events };
  };

  /** Every version the fake holds is stored exactly once, with the right document. */
  const assertComplete = async (stored: () => Promise<{ key: string; hash: string }[]>) => {
    const rows = await stored();
    const keys = rows.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, 'no (policy, version) stored twice');
    const want = fakeVersions();
    assert.deepEqual(new Set(keys), new Set(want.keys()), 'exactly the versions the fake holds');
    for (const r of rows) assert.equal(r.hash, want.get(r.key), `${r.key}: document intact`);
    return rows.length;
  };

  const watch = (p: CliProcess) => {
    cleanups.push(async () => killIfRunning(p));
    return p;
  };

  test('a poll killed with SIGKILL mid-run, then re-run, leaves no duplicate and no missing version', async () => {
    const db = await freshDb();
    assert.equal(fakeVersions().size, 21);
    fake.resetCounts();
    // Slow, as a real poll of ~1,500 policies is...
    fake.injectFault({ action: 'GetPolicyVersion', delayMs: 300, times: Infinity });
    // ...and certain to be mid-run when killed: one version of the largest policy waits at the
    // gate, after the policy's earlier versions were fetched (held in memory, not yet committed).
    gate.hold((r) => r.action === 'GetPolicyVersion' && policyOf(r) === 'AmazonQFullAccess' && r.params.VersionId === 'v5');
    const p = watch(spawnCli(['poll', '--once'], db.env));
    await waitFor('a few versions served and one policy committed', async () => {
      if (fake.requestCount('GetPolicyVersion') < 3) return false;
      return (await db.stored()).length > 0 && gate.held().length > 0;
    }, { timeoutMs: 90_000, abortIf: () => (p.exited() ? `poll exited early: ${p.stderr()}` : undefined) });

    p.child.kill('SIGKILL');
    const killed = await p.done;
    assert.equal(killed.signal, 'SIGKILL');
    const partial = (await db.stored()).length;
    assert.ok(partial > 0 && partial < 21, `some but not all versions stored before the kill (${partial})`);
    const [stale, ...more] = await db.runs();
    assert.deepEqual(more, []);
    assert.equal(stale?.status, 'running', 'the killed run is left running');
    assert.equal(stale?.finished, false);

    // Postgres ends the dead process's session (and its lock) when it sees the socket close.
    await waitFor('the killed session to end', async () => (await db.advisoryLocks()) === 0);
    fake.clearFaults();
    gate.release();
    const rerun = await runCli(['poll', '--once'], db.env);
    assert.equal(rerun.code, 0, rerun.stderr);
    const run = JSON.parse(rerun.stdout) as { id: string; status: string; versionsAdded: number };
    assert.equal(run.status, 'succeeded');
    assert.equal(run.versionsAdded, 21 - partial, 'the re-run adds exactly what the killed run did not commit');
    assert.equal(await assertComplete(db.stored), 21);
    // Versions the killed run committed without their change events get them on the re-run.
    assert.deepEqual(await db.events(), (await db.stored()).map((r) => r.key).sort(), 'exactly one change event per stored version');
    assert.deepEqual(await db.runs(), [
      { id: stale.id, status: 'abandoned', finished: true },
      { id: run.id, status: 'succeeded', finished: true },
    ]);
  });

  test('two concurrent poll --once processes: one polls, the other exits 3, nothing is stored twice', async () => {
    const db = await freshDb();
    // Whoever takes the lock cannot finish while its version fetches wait at the gate, so the
    // other one is certain to find the lock taken.
    gate.hold((r) => r.action === 'GetPolicyVersion');
    fake.injectFault({ action: 'GetPolicyVersion', delayMs: 50, times: Infinity });
    const a = watch(spawnCli(['poll', '--once'], db.env));
    const b = watch(spawnCli(['poll', '--once'], db.env));
    // A broken lock would let both poll, and both would wait at the gate forever: fail instead.
    const bothPolling = watchdog('two runs started', async () => (await db.runs()).length >= 2, () => 'both processes started a poll run');
    const first = await Promise.race([a.done.then((r) => ({ r, other: b })), b.done.then((r) => ({ r, other: a })), bothPolling.tripped])
      .finally(() => bothPolling.cancel());
    assert.equal(first.r.code, 3, `the first to exit is the one that found the lock taken: ${first.r.stderr}`);
    assert.match(first.r.stderr, /another process is (?:polling|running the iam poll) right now/);
    assert.equal(first.r.stdout, '');
    assert.equal(first.other.exited(), false, 'the winner is still polling');
    gate.release();
    fake.clearFaults();
    const w = await first.other.done;
    assert.equal(w.code, 0, w.stderr);
    assert.equal((JSON.parse(w.stdout) as { versionsAdded: number }).versionsAdded, 21);
    assert.equal(await assertComplete(db.stored), 21);
    assert.deepEqual(await db.events(), (await db.stored()).map((r) => r.key).sort(), 'exactly one change event per stored version');
    assert.deepEqual((await db.runs()).map((r) => r.status), ['succeeded'], 'the loser never started a run');
  });

  test('SIGTERM to a worker mid-poll: the run is closed (not left running) and the next poll completes', async () => {
    const db = await freshDb();
    gate.hold((r) => r.action === 'GetPolicyVersion' && policyOf(r) === 'AmazonQFullAccess');
    // A schedule every second so the worker starts polling at once.
    const w = watch(spawnCli(['worker'], { ...db.env, POLICYWATCH_POLL_CRON: '* * * * * *', POLICYWATCH_RSS_CRON: '0 0 1 1 *', LOG_LEVEL: 'warn' }));
    await waitFor('the worker to be mid-poll', () => gate.held().length > 0, {
      timeoutMs: 90_000, abortIf: () => (w.exited() ? `worker exited: ${w.stderr()}` : undefined),
    });
    w.child.kill('SIGTERM');
    const r = await w.done;
    assert.equal(r.code, 0, `graceful exit, stderr: ${r.stderr}`);
    const runs = await db.runs();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.status, 'interrupted', 'an interrupted run is closed by the shutdown, not left running');
    assert.equal(runs[0]?.finished, true);
    gate.release();
    const rerun = await runCli(['poll', '--once'], db.env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(await assertComplete(db.stored), 21);
  });
});
