// Our own detection latency: a live IAM poll records when it first saw each new version beside
// AWS's create date. Versions that existed before our first poll are not detections. Real Postgres.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../support/app.ts';
import { startCorpusIam } from '../support/iam.ts';
import type { DetectionStats } from '../../src/http/schemas/stats.ts';

test('a version published after the first poll is measured: observed minus AWS create date', async (t) => {
  const { fake, iam } = await startCorpusIam(t);
  const app = await build(t, { iam });
  const stats = async () => (await app.inject('/api/stats/detection')).json() as DetectionStats;
  const ours = async () => (await stats()).sources.find((s) => s.observer === 'policywatch');

  await app.services.iamPoll.poll();
  const cold = await ours();
  assert.equal(cold?.versions, 0, 'the history a first poll finds is not a detection');
  assert.ok(cold?.watchingSince, 'watching since the first poll');

  // AWS created it after our first poll; the next poll sees it. IAM writes CreateDate in whole
  // seconds, so a date taken within the second the first poll started in would floor to before
  // it (not a detection): a second later, its floor is after everything the first poll saw.
  await new Promise((r) => setTimeout(r, 1100));
  const createDate = new Date();
  await new Promise((r) => setTimeout(r, 1500));
  fake.publishVersion('AmazonQDeveloperAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'q:Get*', Resource: '*' }] }, { createDate });
  const r = await app.services.iamPoll.poll();
  assert.equal(r.versionsAdded, 1);
  const live = await ours();
  assert.equal(live?.versions, 1);
  assert.ok(live?.medianMs !== null && live!.medianMs! >= 1500 && live!.medianMs! < 120_000, `median ${live?.medianMs} ms`);
  assert.equal(live?.maxMs, live?.medianMs);
  assert.equal((await stats()).medianRatio, null, 'no IAMTrail history imported');
});
