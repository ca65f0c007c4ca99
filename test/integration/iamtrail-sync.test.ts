// POLICYWATCH_IAMTRAIL_REPO: the worker's job mirrors the repository into the data directory and
// imports what is new; an unreachable repository costs one warning a day and a failed run, not
// the worker. Real Postgres, a local repository as the remote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../support/app.ts';
import { TempRepo, fixtureCommits } from '../support/iamtrail-repo.ts';
import { syncIamtrail } from '../../src/jobs/jobs.ts';
import { defaultJobs } from '../../src/jobs/definitions.ts';
import { loadConfig } from '../../src/config/env.ts';
import type { Logger } from '../../src/core/logger.ts';

function recordingLog() {
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, msg: string) => warnings.push(msg), info: () => {}, debug: () => {}, error: () => {}, child: () => log } as unknown as Logger;
  return { log, warnings };
}

test('the job mirrors the repository, imports it, then only what is new', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pw-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = await build(t, { config: { dataDir } });
  const repo = new TempRepo(t);
  const commits = fixtureCommits();
  repo.replay(commits.slice(0, 4));
  const { log } = recordingLog();
  const h = { services: app.services, log, signal: new AbortController().signal };
  const first = await syncIamtrail(h, repo.dir);
  assert.equal(first.status, 'succeeded', JSON.stringify(first.errors));
  assert.equal(first.source, 'iamtrail');
  assert.ok(first.versionsAdded > 0);
  repo.replay(commits.slice(4));
  const second = await syncIamtrail(h, repo.dir);
  assert.equal(second.status, 'succeeded');
  assert.ok(second.versionsAdded > 0, 'the fetch brought the new commits');
  const versions = ((await app.inject('/api/policies/AmazonQFullAccess')).json() as { versions: { versionId: string }[] }).versions.map((v) => v.versionId);
  assert.deepEqual(versions, ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
  const runs = ((await app.inject('/api/poll-runs?source=iamtrail')).json() as { items: unknown[] }).items;
  assert.equal(runs.length, 2);
});

test('an unreachable repository: a failed run, one warning a day, and the next run still works', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pw-data-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = await build(t, { config: { dataDir } });
  const { log, warnings } = recordingLog();
  const h = { services: app.services, log, signal: new AbortController().signal };
  const warnedOn = {};
  const missing = join(dataDir, 'no-such-repo');
  const a = await syncIamtrail(h, missing, warnedOn);
  const b = await syncIamtrail(h, missing, warnedOn);
  assert.equal(a.status, 'failed');
  assert.equal(a.errors[0]?.code, 'IAMTRAIL_UNREACHABLE');
  assert.equal(b.status, 'failed');
  assert.equal(warnings.filter((w) => w.startsWith('iamtrail: repository unreachable')).length, 1, 'one warning for the day');
});

test('the job is scheduled (and run at start) only when POLICYWATCH_IAMTRAIL_REPO is set; bad values are refused', () => {
  assert.deepEqual(defaultJobs(loadConfig({})).map((j) => j.name), ['iam', 'rss']);
  const jobs = defaultJobs(loadConfig({ POLICYWATCH_IAMTRAIL_REPO: 'https://github.com/zoph-io/IAMTrail.git' }));
  assert.deepEqual(jobs.map((j) => [j.name, j.runAtStart ?? false]), [['iam', false], ['rss', false], ['iamtrail', true]]);
  for (const bad of ['--upload-pack=evil', 'ext::sh -c evil', 'ftp://example.com/repo.git']) {
    assert.throws(() => loadConfig({ POLICYWATCH_IAMTRAIL_REPO: bad }), /POLICYWATCH_IAMTRAIL_REPO/);
  }
});
