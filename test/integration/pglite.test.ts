// The embedded backend: the same IAM poll flow as iam-poll.test.ts (real SDK client, fake IAM
// endpoint, the AmazonQ corpus) on PGlite, so one code path is proven on both databases; and a
// PGlite data directory that survives a close and reopen.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/database.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import { makePgliteTemplate } from '../../src/db/make-pglite-template.ts';
import { tarEntries, templateKey } from '../../src/db/pglite-template.ts';
import { Agent } from 'node:http';
import { build, testConfig } from '../support/app.ts';
import { startCorpusIam } from '../support/iam.ts';
import { testSource } from '../support/fake-iam-fixtures.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});
const ctx = { after: (fn: () => Promise<void>) => cleanups.push(fn) };

type Policy = {
  defaultVersionId: string; deprecatedAt: string | null; isAttachable: boolean; path: string;
  versions: { versionId: string; isDefault: boolean; source: string; documentHash: string }[];
};

describe('IAM poll against the fake endpoint (PGlite)', { timeout: 600_000 }, async () => {
  const { fake, url } = await startCorpusIam(ctx);
  // PGlite runs queries synchronously on the main thread, next to the in-process fake: a long
  // block can make the fake's keep-alive timeout close a socket just as the SDK reuses it, and
  // the SDK's retry would count as a second call. Fresh connections keep the call counts exact.
  const iam = testSource(url, { requestHandler: { httpAgent: new Agent({ keepAlive: false }) } });
  const app = await build(ctx, { backend: 'pglite', iam });
  const poll = () => app.services.iamPoll.poll();
  const getPolicy = async (name: string) => (await app.inject(`/api/policies/${name}`)).json() as Policy;

  test('the app really runs on PGlite', () => {
    assert.equal(app.db.kind, 'pglite');
  });

  test('a cold poll stores all 21 versions of the corpus', async () => {
    const r = await poll();
    assert.equal(r.run.status, 'succeeded');
    assert.equal(r.run.policiesSeen, 4);
    assert.equal(r.versionsAdded, 21);
    assert.deepEqual(await app.services.policies.count(), { policies: 4, versions: 21 });
    const q = await getPolicy('AmazonQFullAccess');
    assert.deepEqual(q.versions.map((v) => v.versionId), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
    assert.deepEqual(q.versions.filter((v) => v.isDefault).map((v) => v.versionId), ['v11']);
    assert.equal(q.versions[0]?.documentHash, '983cac9e88d539fbe251f5e161731485909fdf1a028cbb05cfab8fb8ba6f605a');
    assert.equal((await getPolicy('AWSServiceRoleForAmazonQDeveloper')).path, '/aws-service-role/');
    const v5 = (await app.inject('/api/policies/AmazonQFullAccess/versions/v5')).json() as { document: { Statement: { Sid?: string }[] } };
    assert.ok(v5.document.Statement.some((s) => s.Sid === 'AllowPassRoleToAmazonQ'));
  });

  test('a quiet poll makes one call', async () => {
    fake.resetCounts();
    const r = await poll();
    assert.equal(r.versionsAdded, 0);
    assert.equal(r.run.apiCalls, 1);
    assert.equal(fake.requestCount(), 1);
  });

  test('a newly published version is the only one stored', async () => {
    const before = await getPolicy('AmazonQDeveloperAccess');
    const newId = fake.publishVersion('AmazonQDeveloperAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['q:*'], Resource: '*' }] });
    fake.resetCounts();
    const r = await poll();
    assert.equal(r.versionsAdded, 1);
    assert.deepEqual(r.policiesChanged, ['AmazonQDeveloperAccess']);
    assert.equal(fake.requestCount('GetPolicyVersion'), 1);
    const after = await getPolicy('AmazonQDeveloperAccess');
    assert.equal(after.versions.length, before.versions.length + 1);
    assert.deepEqual(after.versions.filter((v) => v.isDefault).map((v) => v.versionId), [newId]);
    assert.equal((await poll()).versionsAdded, 0);
  });

  test('removal from the list or losing attachability marks a policy deprecated, history kept', async () => {
    fake.removePolicy('AWSServiceRoleForAmazonQDeveloper');
    fake.setAttachable('AmazonQDeveloperAccess', false);
    const r = await poll();
    assert.deepEqual([...r.deprecated].sort(), ['AWSServiceRoleForAmazonQDeveloper', 'AmazonQDeveloperAccess']);
    const gone = await getPolicy('AWSServiceRoleForAmazonQDeveloper');
    assert.ok(gone.deprecatedAt);
    assert.equal(gone.versions.length, 1);
    const na = await getPolicy('AmazonQDeveloperAccess');
    assert.ok(na.deprecatedAt);
    assert.equal(na.isAttachable, false);
    assert.equal(((await app.inject('/api/policies?deprecated=true')).json() as { total: number }).total, 2);
    // Attachable again: no longer deprecated.
    fake.setAttachable('AmazonQDeveloperAccess', true);
    await poll();
    assert.equal((await getPolicy('AmazonQDeveloperAccess')).deprecatedAt, null);
  });
});

describe('PGlite data directory', { timeout: 600_000 }, () => {
  test('open, migrate, write, close, reopen: the data persists and migrate applies nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-pglite-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = join(dir, 'nested', 'data'); // created on open
    const names = loadMigrations().map((m) => m.name);
    const observedAt = new Date('2026-01-02T03:04:05.678Z');

    // No template in `dir`: the cluster is made by initdb and migrated here.
    const db1 = await openDatabase({ dataDir, templateDir: dir });
    let policyId: number;
    try {
      assert.equal(db1.kind, 'pglite');
      assert.equal(db1.created?.from, 'initdb');
      assert.deepEqual(await migrate(db1), names);
      const p = await db1.prisma.policy.create({ data: { name: 'PersistedPolicy', arn: 'arn:aws:iam::aws:policy/PersistedPolicy', path: '/', source: 'import:test' } });
      policyId = p.id;
      await db1.prisma.policyVersion.create({
        data: {
          policyId: p.id, versionId: 'v3', versionNumber: 3, documentHash: 'h', source: 'import:test', observedAt,
          document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] },
        },
      });
      await db1.prisma.pollRun.create({ data: { source: 'iam', status: 'succeeded', finishedAt: observedAt } });
    } finally {
      await db1.close();
    }
    assert.ok(existsSync(join(dataDir, 'PG_VERSION')), 'a real Postgres data directory');

    const db2 = await openDatabase({ dataDir });
    try {
      assert.deepEqual(await migrate(db2), [], 'nothing to apply on reopen');
      const v = await db2.prisma.policyVersion.findFirstOrThrow({ where: { policy: { name: 'PersistedPolicy' } } });
      assert.equal(v.policyId, policyId);
      assert.equal(v.versionId, 'v3');
      assert.deepEqual(v.document, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] });
      assert.equal(v.observedAt.toISOString(), observedAt.toISOString(), 'millisecond timestamps survive');
      assert.equal(typeof v.id, 'bigint');
      assert.equal(await db2.prisma.pollRun.count(), 1);
      const rows = await db2.withLock(0x7077746573740003n, (sql) => sql.query<{ migration_name: string; finished: boolean }>(
        'SELECT migration_name, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY migration_name'));
      assert.deepEqual(rows, names.map((n) => ({ migration_name: n, finished: true })));
    } finally {
      await db2.close();
    }

    // The app itself opens the directory from config (POLICYWATCH_DATA_DIR, no DATABASE_URL).
    const app = await buildApp({ config: testConfig({ databaseUrl: undefined, dataDir }), worker: false, seed: false, logger: false });
    try {
      await app.ready();
      const list = (await app.inject('/api/policies')).json() as { total: number; items: { name: string; versionCount: number }[] };
      assert.equal(list.total, 1);
      assert.deepEqual(list.items.map((i) => [i.name, i.versionCount]), [['PersistedPolicy', 1]]);
    } finally {
      await app.close();
    }
  });

  test('a new data directory starts from the migrated template; a damaged one falls back to initdb', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-pglite-tpl-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const templates = join(dir, 'templates');
    const migrations = loadMigrations();
    const made = await makePgliteTemplate(templates);
    assert.equal(made.made, true);
    assert.equal((await makePgliteTemplate(templates)).made, false, 'a current template is not made again');
    assert.deepEqual(readdirSync(templates), [`${templateKey(migrations)}.tar.gz`]);
    // PG_VERSION (what makes PGlite open a directory as a database) is unpacked last.
    const names = [...tarEntries(gunzipSync(readFileSync(made.file)))].map((e) => e.name);
    assert.ok(names.length > 1000);
    assert.equal(names.at(-1), '/PG_VERSION');
    assert.equal(names.filter((n) => n === '/PG_VERSION').length, 1);

    // Another file already in the data directory (an IAMTrail mirror lives there too) stays, and
    // what an unpack killed half-way left (no PG_VERSION yet) is unpacked over.
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'iamtrail.git'), { recursive: true });
    mkdirSync(join(dataDir, 'base', '1'), { recursive: true });
    writeFileSync(join(dataDir, 'base', '1', 'PG_VERSION'), 'half-written');
    writeFileSync(join(dataDir, 'postgresql.conf'), 'half-written');
    const db = await openDatabase({ dataDir, templateDir: templates });
    try {
      assert.deepEqual(db.created, { from: 'template' });
      assert.deepEqual(await migrate(db), [], 'the template is migrated');
      const [boss] = await db.sql.query<{ queues: number }>('SELECT count(*)::int AS queues FROM pgboss.queue');
      assert.deepEqual(boss, { queues: 0 }, "pg-boss's schema is installed, its queues are left to the app's config");
      await db.prisma.policy.create({ data: { name: 'FromTemplate', arn: 'arn:aws:iam::aws:policy/FromTemplate', path: '/', source: 'import:test' } });
      assert.equal(await db.prisma.policy.count(), 1, 'and empty');
    } finally {
      await db.close();
    }
    const reopened = await openDatabase({ dataDir, templateDir: templates });
    try {
      assert.equal(reopened.created, undefined, 'an existing database is opened, never overwritten');
      assert.equal(await reopened.prisma.policy.count(), 1);
    } finally {
      await reopened.close();
    }
    assert.ok(existsSync(join(dataDir, 'iamtrail.git')));

    // A template for other migrations is never used: its key differs.
    const edited = migrations.map((m, i) => (i === migrations.length - 1 ? { ...m, checksum: '0'.repeat(64) } : m));
    assert.notEqual(templateKey(edited), templateKey(migrations));

    // A damaged template (gzip's CRC fails) leaves nothing behind and initdb runs instead.
    writeFileSync(made.file, 'not a gzip archive');
    const fresh = join(dir, 'fresh');
    mkdirSync(join(fresh, 'keep'), { recursive: true });
    const db2 = await openDatabase({ dataDir: fresh, templateDir: templates });
    try {
      assert.equal(db2.created?.from, 'initdb');
      assert.match(db2.created?.from === 'initdb' ? db2.created.templateSkipped : '', /failed to load/);
      assert.deepEqual(await migrate(db2), migrations.map((m) => m.name));
    } finally {
      await db2.close();
    }
    assert.ok(existsSync(join(fresh, 'keep')));
  });
});
