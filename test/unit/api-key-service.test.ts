// ApiKeyService over the in-memory store: keys are random and shown once, only their SHA-256
// is kept, revoked and unknown keys authenticate as nobody, the bootstrap key is an admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { ApiKeyService, hashKey } from '../../src/services/api-key-service.ts';
import { FakeApiKeyStore } from '../support/fake-api-key-store.ts';

const log = pino({ level: 'silent' });
const BOOTSTRAP = 'bootstrap-admin-key-abcdefghijklmnopqrstuvwxyz';

function service(o: { now?: () => Date } = {}) {
  const store = new FakeApiKeyStore();
  return { store, keys: new ApiKeyService({ store, log, bootstrapAdminKey: BOOTSTRAP, ...o }) };
}

test('create: pw_ + 32 random bytes (base64url), shown once; the store holds its SHA-256 and a short prefix only', async () => {
  const { store, keys } = service();
  const a = await keys.create({ role: 'admin', name: 'deploy' });
  const b = await keys.create({ role: 'read' });
  assert.match(a.key, /^pw_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.key, b.key);
  assert.equal(Buffer.from(a.key.slice(3), 'base64url').length, 32);
  assert.deepEqual({ role: a.apiKey.role, name: a.apiKey.name }, { role: 'admin', name: 'deploy' });
  assert.equal(b.apiKey.name, 'read key');
  const rec = store.records[0];
  assert.equal(rec?.keyHash, createHash('sha256').update(a.key).digest('hex'));
  assert.equal(rec?.prefix, a.key.slice(0, 8));
  assert.ok(!JSON.stringify(store.records).includes(a.key.slice(8)), 'no part of the key beyond its prefix is stored');
  assert.ok(!JSON.stringify(await keys.list()).includes(a.key.slice(8)), 'listing never shows the key');
});

test('create refuses unknown roles and bad names with 400s naming the problem', async () => {
  const { keys } = service();
  await assert.rejects(keys.create({ role: 'root' }), (e: { code: string; statusCode: number; message: string }) => e.code === 'INVALID_ROLE' && e.statusCode === 400 && /admin, read/.test(e.message));
  await assert.rejects(keys.create({ role: 'read', name: '  ' }), { code: 'INVALID_NAME' });
  await assert.rejects(keys.create({ role: 'read', name: 'x'.repeat(101) }), { code: 'INVALID_NAME' });
  await assert.rejects(keys.create({ role: 'read', name: 'a\nb' }), { code: 'INVALID_NAME' });
});

test('authenticate: a stored key is its principal until revoked; unknown, altered and oversized tokens are nobody', async () => {
  const { keys } = service();
  const { key, apiKey } = await keys.create({ role: 'read', name: 'dashboard' });
  assert.deepEqual(await keys.authenticate(key), { keyId: apiKey.id, name: 'dashboard', role: 'read' });
  const flipped = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
  assert.equal(await keys.authenticate(flipped), null);
  assert.equal(await keys.authenticate(`${key}x`), null);
  assert.equal(await keys.authenticate(''), null);
  assert.equal(await keys.authenticate(`pw_${'a'.repeat(600)}`), null);
  assert.equal(await keys.authenticate(hashKey(key)), null, 'the stored hash is not a credential');
  const revoked = await keys.revoke(apiKey.id);
  assert.ok(revoked.revokedAt);
  assert.equal(await keys.authenticate(key), null);
  // Revoking again keeps the first revocation time; an unknown id is a 404.
  assert.equal((await keys.revoke(apiKey.id)).revokedAt?.getTime(), revoked.revokedAt.getTime());
  await assert.rejects(keys.revoke('999'), { code: 'NOT_FOUND', statusCode: 404 });
});

test('the bootstrap key from the environment is an admin; near misses are not', async () => {
  const { keys } = service();
  assert.deepEqual(await keys.authenticate(BOOTSTRAP), { keyId: 'env', name: 'POLICYWATCH_ADMIN_API_KEY', role: 'admin' });
  assert.equal(await keys.authenticate(BOOTSTRAP.slice(0, -1)), null);
  assert.equal(await keys.authenticate(`${BOOTSTRAP.slice(0, -1)}!`), null);
  assert.equal(await keys.authenticate(BOOTSTRAP.toUpperCase()), null);
  const none = new ApiKeyService({ store: new FakeApiKeyStore(), log });
  assert.equal(await none.authenticate(BOOTSTRAP), null, 'without the setting there is no bootstrap key');
});

test('last use is recorded at most once a minute per key', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const { store, keys } = service({ now: () => now });
  const { key, apiKey } = await keys.create({ role: 'admin' });
  for (let i = 0; i < 5; i++) assert.ok(await keys.authenticate(key));
  assert.equal(store.touches.length, 1);
  now = new Date(now.getTime() + 61_000);
  assert.ok(await keys.authenticate(key));
  assert.deepEqual(store.touches.map((t) => t.at.toISOString()), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:01.000Z']);
  assert.equal((await keys.list())[0]?.lastUsedAt?.toISOString(), '2026-01-01T00:01:01.000Z');
  assert.equal(apiKey.lastUsedAt, null);
});
