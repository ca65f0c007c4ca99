// Without AWS credentials the worker says so once, names what to set, and records each scheduled
// IAM poll as `skipped` — no error, no stack trace, no repeat — while the rest keeps running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabaseUrl } from '../support/db.ts';
import { killIfRunning, runCli, spawnCli, waitFor } from '../support/cli.ts';
import { NO_CREDENTIALS_WARNING } from '../../src/services/iam-poll-service.ts';
import type { StatusReport } from '../../src/commands/status.ts';

test('no credentials: one warning, skipped runs, no stack trace over three scheduled polls', async (t) => {
  const { url, drop } = await createTestDatabaseUrl();
  const env = {
    DATABASE_URL: url, POLICYWATCH_POLL_CRON: '* * * * * *', POLICYWATCH_RSS_CRON: 'off', POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'debug',
  };
  const worker = spawnCli(['worker'], env);
  t.after(() => killIfRunning(worker));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // After hooks run in order: the client goes before its database.
  t.after(() => client.end());
  t.after(drop);
  const runs = async () => (await client.query<{ status: string; errors: unknown }>(`SELECT status, errors FROM poll_runs WHERE source = 'iam' ORDER BY id`)).rows;
  await waitFor('three scheduled IAM polls', async () => (await runs()).length >= 3, { timeoutMs: 60_000, abortIf: () => (worker.exited() ? `worker exited: ${worker.stderr()}` : undefined) });
  worker.child.kill('SIGTERM');
  const out = await worker.done;
  assert.equal(out.code, 0, out.stderr);

  const recorded = await runs();
  assert.ok(recorded.every((r) => r.status === 'skipped'), JSON.stringify(recorded));
  assert.ok(recorded.every((r) => JSON.stringify(r.errors).includes('NO_CREDENTIALS')));
  assert.equal((await client.query(`SELECT count(*)::int AS n FROM poll_runs WHERE source = 'rss'`)).rows[0].n, 0, 'rss is switched off');

  const lines = out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; [k: string]: unknown });
  const warnings = lines.filter((l) => l.level >= 40);
  assert.deepEqual(warnings.map((l) => l.msg), [NO_CREDENTIALS_WARNING], 'exactly one warning');
  for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'POLICYWATCH_POLL_CRON=off']) assert.ok(NO_CREDENTIALS_WARNING.includes(name), `names ${name}`);
  assert.ok(!/"stack"|\n\s+at /.test(out.stdout + out.stderr), 'no stack trace anywhere');
  assert.equal(out.stderr.trim(), '', 'nothing on stderr (no SDK warning either)');
  assert.ok(lines.filter((l) => l.msg === 'iam poll skipped: no AWS credentials').length >= 3, 'each skip at debug');

  // The database tells every process the same story.
  const status = await runCli(['status'], { DATABASE_URL: url, POLICYWATCH_RSS_CRON: 'off' });
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as StatusReport;
  assert.deepEqual([report.sources?.iam.state, report.sources?.iam.reason], ['disabled', 'no-credentials']);
  assert.deepEqual([report.sources?.rss.state, report.sources?.rss.reason], ['disabled', 'switched-off']);
  assert.equal(report.ready, true);
  assert.ok(report.lastRuns.length >= 3 && report.lastRuns.every((r) => r.status === 'skipped'));
});
