// API keys end to end through real processes: `policywatch keys create|list|revoke` against a
// real database, a `serve` process that honours them (revocation at once), and the server's
// captured log output, which must hold none of the keys it was sent.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabaseUrl } from '../support/db.ts';
import { queryUrl } from '../support/pg-admin.ts';
import { killIfRunning, runCli, spawnCli, waitFor } from '../support/cli.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

const BOOTSTRAP = 'bootstrap-admin-key-for-the-cli-test-0123456789';

test('keys create/list/revoke through the CLI; serve admits and refuses by role; its logs hold no key', async () => {
  const { url, drop } = await createTestDatabaseUrl();
  cleanups.push(drop);
  const env = { DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off' };

  const created = await Promise.all([
    runCli(['keys', 'create', '--role', 'read', '--name', 'dashboard'], env),
    runCli(['keys', 'create', '--role', 'admin', '--name', 'ops'], env),
  ]);
  for (const r of created) assert.equal(r.code, 0, r.stderr);
  const [readKey, adminKey] = created.map((r) => r.stdout.trim()) as [string, string];
  for (const k of [readKey, adminKey]) assert.match(k, /^pw_[A-Za-z0-9_-]{43}$/, 'stdout is the key alone');
  assert.match(created[0]?.stderr ?? '', /created read key \d+ "dashboard"; store it now/);

  const stored = await queryUrl<{ id: string; role: string; key_hash: string; key_prefix: string }>(url, 'SELECT id::text, role, key_hash, key_prefix FROM api_keys ORDER BY role');
  assert.equal(stored.length, 2);
  assert.ok(!JSON.stringify(stored).includes(adminKey.slice(8)) && !JSON.stringify(stored).includes(readKey.slice(8)), 'the database holds no key');
  const adminId = stored.find((r) => r.role === 'admin')?.id as string;

  const listed = await runCli(['keys', 'list'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^id +name +role +key +created +last used +revoked$/m);
  assert.match(listed.stdout, new RegExp(`^${adminId} +ops +admin +${adminKey.slice(0, 8)}… `, 'm'));
  assert.ok(!listed.stdout.includes(adminKey) && !listed.stdout.includes(readKey));

  const bad = await runCli(['keys', 'create', '--role', 'superuser'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /role must be one of admin, read/);
  const missing = await runCli(['keys', 'revoke', '424242'], env);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /API key 424242 not found/);

  const server = spawnCli(['serve', '--no-worker'], { ...env, PORT: '0', LOG_LEVEL: 'trace', POLICYWATCH_ADMIN_API_KEY: BOOTSTRAP });
  cleanups.push(async () => killIfRunning(server));
  const base = await waitFor('the listening log line', () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())?.[1], {
    timeoutMs: 60_000, abortIf: () => (server.exited() ? `serve exited: ${server.stderr()}` : undefined),
  });
  const call = (method: string, path: string, key?: string) =>
    fetch(`${base}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });

  // The default documentation feeds are seeded at start: deleting one is a state change.
  const feeds = (await (await call('GET', '/api/feeds', readKey)).json()) as { items: { id: number }[] };
  assert.ok(feeds.items.length >= 3, JSON.stringify(feeds));
  const [f1, f2, f3] = feeds.items.map((f) => f.id) as [number, number, number];
  assert.equal((await call('DELETE', `/api/feeds/${f1}`)).status, 401);
  assert.equal((await call('DELETE', `/api/feeds/${f1}`, 'pw_made_up_key_000000000000000000000000000000')).status, 401);
  const forbidden = await call('DELETE', `/api/feeds/${f1}`, readKey);
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await call('DELETE', `/api/feeds/${f1}`, adminKey)).status, 204);
  assert.equal((await call('DELETE', `/api/feeds/${f2}`, BOOTSTRAP)).status, 204);

  // Revoked through the CLI while the server runs: refused at the next request.
  const revoked = await runCli(['keys', 'revoke', adminId], env);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, new RegExp(`revoked key ${adminId} "ops" \\(admin\\)`));
  assert.equal((await call('DELETE', `/api/feeds/${f3}`, adminKey)).status, 401);
  const relisted = await runCli(['keys', 'list'], env);
  const row = relisted.stdout.split('\n').find((l) => l.startsWith(`${adminId} `)) ?? '';
  assert.match(row, /\d{4}-\d\d-\d\dT[\d:]+Z +\d{4}-\d\d-\d\dT[\d:]+Z +\d{4}-\d\d-\d\dT[\d:]+Z$/, `created, last used and revoked: ${row}`);

  server.child.kill('SIGTERM');
  const done = await server.done;
  assert.equal(done.code, 0, done.stderr);
  const logs = done.stdout + done.stderr;
  // The capture is real: the requests above are in it...
  assert.match(logs, new RegExp(`"url":"/api/feeds/${f1}"`));
  assert.match(logs, /"statusCode":403/);
  // ...and none of the keys sent, stored or configured.
  for (const [what, key] of [['read key', readKey], ['admin key', adminKey], ['bootstrap key', BOOTSTRAP]] as const) {
    assert.ok(!logs.includes(key), `the ${what} appears in the server's log`);
    assert.ok(!logs.includes(key.slice(8)), `part of the ${what} appears in the server's log`);
  }
});
