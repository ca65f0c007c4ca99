// /readyz tells the truth: a failing enabled source turns it 503 once stale (a switched-off one
// never does), and a database that stops answering gives 503 within 2 s with a stable reason,
// never a raw error, while /healthz (liveness) keeps answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Static } from '@sinclair/typebox';
import { build, testConfig } from '../support/app.ts';
import { createTestDatabaseUrl } from '../support/db.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/cli.ts';
import { buildApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { IamSource } from '../../src/core/iam.ts';
import type { Readiness } from '../../src/http/schemas/health.ts';

type Ready = Static<typeof Readiness>;

/** An IAM source whose every call fails the way an unreachable endpoint does. */
const failingIam: IamSource = {
  apiCalls: 0,
  listPolicies: async () => {
    throw Object.assign(new Error('ListPolicies: network error: connect ECONNREFUSED 127.0.0.1:9'), { code: 'NetworkError' });
  },
  listPolicyVersions: async () => [],
  getPolicyVersion: async () => {
    throw new Error('not reached');
  },
};

test('a failing enabled source turns /readyz to 503 once it is stale', async (t) => {
  const app = await build(t, { iam: failingIam, config: { readyMaxPollAgeSeconds: 2 } });
  const before = await app.inject('/readyz');
  assert.equal(before.statusCode, 200, before.body);
  assert.equal((before.json() as Ready).checks.sources?.iam.state, 'pending');

  const r = await app.scheduler.runNow('iam');
  assert.ok(r.ran);
  const failing = (await app.inject('/readyz')).json() as Ready;
  assert.match(failing.checks.sources?.iam.state ?? '', /^failing since \d{4}-\d\d-\d\dT/);
  // One failure (or a slow machine already past the 2 s): the state says failing, readiness follows the age.
  if (failing.checks.sources?.iam.reason === 'failing') assert.equal(failing.status, 'ready');

  await waitFor('/readyz to turn 503', async () => (await app.inject('/readyz')).statusCode === 503, { timeoutMs: 15_000 });
  const res = await app.inject('/readyz');
  const stale = res.json() as Ready;
  assert.equal(stale.status, 'not_ready');
  assert.equal(stale.checks.sources?.iam.reason, 'stale');
  assert.equal(stale.checks.sources?.iam.ready, false);
  assert.match(stale.checks.sources?.iam.state ?? '', /^failing since /);
  assert.equal(stale.checks.sources?.rss.state, 'pending', 'a source that never ran is not what failed');
  assert.equal(res.headers['retry-after'], '5');
  assert.equal((await app.inject('/healthz')).statusCode, 200, 'liveness does not follow readiness');
  const bad = await app.inject('/readyz?verbose=1');
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { error: { code: string } }).error.code, 'INVALID_REQUEST');
});

test('the same failures on a switched-off source leave /readyz at 200', async (t) => {
  const app = await build(t, { iam: failingIam, config: { readyMaxPollAgeSeconds: 1, pollCron: null } });
  assert.ok((await app.scheduler.runNow('iam')).ran, 'a manual poll still runs');
  await new Promise((r) => setTimeout(r, 1500));
  const res = await app.inject('/readyz');
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as Ready;
  assert.deepEqual({ state: body.checks.sources?.iam.state, reason: body.checks.sources?.iam.reason }, { state: 'disabled', reason: 'switched-off' });
});

test('/readyz answers 503 within 2 s while the database is silent, and recovers', async (t) => {
  const { url, drop } = await createTestDatabaseUrl();
  const target = new URL(url);
  const gate = await startTcpProxy(target.hostname, Number(target.port));
  const db = await openDatabase({ databaseUrl: gate.url(url), poolMax: 4 });
  const app = await buildApp({ config: testConfig(), db, worker: false, seed: false, logger: false });
  t.after(async () => {
    gate.restore();
    await app.close();
    await db.close();
    await gate.stop();
    await drop();
  });
  await app.ready();
  assert.equal((await app.inject('/readyz')).statusCode, 200);

  gate.drop();
  for (let i = 0; i < 2; i++) {
    const started = performance.now();
    const res = await app.inject('/readyz');
    const ms = performance.now() - started;
    assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms`);
    assert.equal(res.statusCode, 503);
    const body = res.json() as Ready;
    assert.deepEqual(body.checks.database, { state: 'timeout' });
    assert.equal(body.status, 'not_ready');
    assert.doesNotMatch(res.body, /ECONN|timeout expired|Connection|Error/, 'no raw database error');
  }
  const live = await app.inject('/healthz');
  assert.equal(live.statusCode, 200);

  gate.restore();
  await waitFor('/readyz to recover', async () => (await app.inject('/readyz')).statusCode === 200, { timeoutMs: 15_000 });
});

test('/readyz is 503 "migrating" while the database lacks a migration this code expects', async (t) => {
  const app = await build(t);
  const last = (await app.db.sql.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1'))[0]?.migration_name;
  assert.ok(last);
  // As another process sees it mid-migration: the newest migration not yet finished.
  await app.db.sql.query('UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = $1', [last]);
  const res = await app.inject('/readyz');
  assert.equal(res.statusCode, 503);
  const body = res.json() as Ready;
  assert.equal(body.status, 'migrating');
  assert.deepEqual(body.checks.migrations, { state: 'pending', pending: [last] });
  await app.db.sql.query('UPDATE "_prisma_migrations" SET finished_at = now() WHERE migration_name = $1', [last]);
  const after = await app.inject('/readyz');
  assert.equal(after.statusCode, 200, after.body);
  assert.deepEqual((after.json() as Ready).checks.migrations, { state: 'ok', pending: [] });
});
