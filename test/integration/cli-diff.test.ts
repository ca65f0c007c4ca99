// `policywatch diff` end to end: a real process against a real database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createTestDatabaseUrl } from '../support/db.ts';
import { CORPUS_DIR, REPO_DIR } from '../support/paths.ts';

test('policywatch diff prints the semantic diff, as text or JSON', async (t) => {
  const { url, drop } = await createTestDatabaseUrl();
  t.after(drop);
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/policywatch.mjs', ...args], {
    cwd: REPO_DIR, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'warn', NO_COLOR: '' },
  });
  assert.equal(run('import', CORPUS_DIR).status, 0);

  const text = run('diff', 'AmazonQFullAccess', 'v4', 'v5');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /permissions changed \(broadened\)/);
  assert.match(text.stdout, /iam:PassRole/);
  assert.match(text.stdout, /privilege-escalation/);
  assert.ok(!text.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');

  const json = run('diff', 'AmazonQFullAccess', 'v4', 'v5', '--json');
  assert.equal(json.status, 0, json.stderr);
  const d = JSON.parse(json.stdout) as { kind: string; effective: { added: { action: string }[] } };
  assert.equal(d.kind, 'permissions_changed');
  assert.equal(d.effective.added.length, 10);

  const meta = JSON.parse(run('diff', 'AmazonQFullAccess', 'v7', 'v9', '--json').stdout) as { kind: string };
  assert.equal(meta.kind, 'metadata_only');

  const missing = run('diff', 'NoSuchPolicy', 'v1', 'v2');
  assert.equal(missing.status, 4);
  assert.match(missing.stderr, /policy "NoSuchPolicy" not found/);
  const bad = run('diff', 'AmazonQFullAccess', '4', 'v5');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /"4" is not an IAM policy version id/);
  const usage = run('diff', 'AmazonQFullAccess');
  assert.equal(usage.status, 2);
});
