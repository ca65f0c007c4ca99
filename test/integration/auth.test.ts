// Authentication and roles over the real app and database. The routes come from the app's own
// route table: a state-changing route added later is checked without editing this file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.ts';
import { ADMIN, build, testConfig, TEST_ADMIN_KEY } from '../support/app.ts';
import { createTestDatabase } from '../support/db.ts';
import { concreteUrl, routeTable } from '../support/routes.ts';

type ErrorBody = { error: { code: string; message: string } };
type Inject = Awaited<ReturnType<typeof build>>['inject'];
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const PUBLIC = new Set(['/healthz', '/readyz']);

function assertRefused(res: Awaited<ReturnType<Inject>>, status: 401 | 403, code: string, what: string) {
  assert.equal(res.statusCode, status, `${what}: ${res.body}`);
  assert.match(String(res.headers['www-authenticate']), /^Bearer realm="policywatch"/, what);
  // Dashboard pages answer browsers in HTML; the status and the challenge are what matter there.
  if (/text\/html/.test(String(res.headers['content-type']))) return;
  assert.match(String(res.headers['content-type']), /application\/json/, what);
  const body = res.json() as ErrorBody;
  assert.equal(body.error.code, code, what);
  assert.ok(body.error.message.length > 0, what);
}

describe('auth: every state-changing route needs an admin key', () => {
  test('401 without a key or with a bad one, 403 with a read key, admitted with an admin key: every non-GET/HEAD route in the table', async (t) => {
    const app = await build(t, { config: { rssFeeds: [] } });
    const { key: readKey } = await app.services.apiKeys.create({ role: 'read', name: 'reader' });
    const { key: adminKey } = await app.services.apiKeys.create({ role: 'admin', name: 'ops' });
    const { key: revokedKey, apiKey: revoked } = await app.services.apiKeys.create({ role: 'admin', name: 'old' });
    await app.services.apiKeys.revoke(revoked.id);

    const routes = routeTable(app);
    const writes = routes.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    // The table is really read (the test cannot pass on an empty list).
    for (const known of ['POST /api/feeds', 'DELETE /api/feeds/:id', 'POST /api/poll-runs']) {
      assert.ok(writes.some((r) => `${r.method} ${r.url}` === known), `${known} in ${JSON.stringify(writes)}`);
    }
    for (const r of writes) {
      // An unknown query parameter: an admitted request stops at validation (400), nothing runs.
      const url = `${concreteUrl(r.url)}?probe=1`;
      const method = r.method as Method;
      const what = `${r.method} ${r.url}`;
      assertRefused(await app.inject({ method, url }), 401, 'UNAUTHORIZED', `${what} without a key`);
      assertRefused(await app.inject({ method, url, headers: bearer('pw_not-a-key-at-all-000000000000000000000000') }), 401, 'INVALID_API_KEY', `${what} unknown key`);
      assertRefused(await app.inject({ method, url, headers: bearer(revokedKey) }), 401, 'INVALID_API_KEY', `${what} revoked key`);
      assertRefused(await app.inject({ method, url, headers: { authorization: `Basic ${Buffer.from(`x:${adminKey}`).toString('base64')}` } }), 401, 'INVALID_API_KEY', `${what} Basic auth`);
      assertRefused(await app.inject({ method, url, headers: bearer(readKey) }), 403, 'FORBIDDEN', `${what} read key`);
      for (const [who, key] of [['stored admin key', adminKey], ['bootstrap admin key', TEST_ADMIN_KEY]] as const) {
        const ok = await app.inject({ method, url, headers: bearer(key) });
        assert.ok(![401, 403].includes(ok.statusCode) && ok.statusCode < 500, `${what} with the ${who}: ${ok.statusCode} ${ok.body}`);
      }
    }
    // The scheme name is case-insensitive (RFC 7235).
    const lower = await app.inject({ method: 'POST', url: '/api/feeds', headers: { authorization: `bearer ${adminKey}` }, payload: {} });
    assert.equal(lower.statusCode, 400, lower.body);
  });

  test('a path with no route is a 404 naming it, key or not', async (t) => {
    const app = await build(t, {});
    for (const method of ['POST', 'DELETE', 'GET'] as const) {
      const res = await app.inject({ method, url: '/api/feedz' });
      assert.equal(res.statusCode, 404, `${method}: ${res.body}`);
      assert.equal((res.json() as ErrorBody).error.code, 'NOT_FOUND');
    }
  });

  test('a refused request never reaches the handler or the body parser', async (t) => {
    const app = await build(t, { config: { rssFeeds: [] } });
    const { key: readKey } = await app.services.apiKeys.create({ role: 'read' });
    for (const headers of [{}, bearer(readKey)]) {
      const res = await app.inject({ method: 'POST', url: '/api/feeds', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"url": "https://example.com/feed.rss"' });
      assert.ok([401, 403].includes(res.statusCode), res.body);
    }
    assert.equal((await app.inject('/api/feeds')).json().items.length, 0);
  });

  test('config.access overrides the method default, and a bad value stops start-up', async (t) => {
    const tdb = await createTestDatabase();
    t.after(() => tdb.cleanup());
    const custom = await buildApp({ config: testConfig(), db: tdb.db, worker: false, seed: false, logger: false });
    t.after(() => custom.close());
    custom.get('/x/admin-read', { config: { access: 'admin' } }, async () => ({ ok: true }));
    custom.post('/x/public-write', { config: { access: 'public' } }, async () => ({ ok: true }));
    custom.post('/x/read-write', { config: { access: 'read' } }, async () => ({ ok: true }));
    await custom.ready();
    const { key: readKey } = await custom.services.apiKeys.create({ role: 'read' });
    assertRefused(await custom.inject('/x/admin-read'), 401, 'UNAUTHORIZED', 'admin GET without key');
    assertRefused(await custom.inject({ url: '/x/admin-read', headers: bearer(readKey) }), 403, 'FORBIDDEN', 'admin GET with read key');
    assert.equal((await custom.inject({ url: '/x/admin-read', headers: ADMIN })).statusCode, 200);
    assert.equal((await custom.inject({ method: 'POST', url: '/x/public-write' })).statusCode, 200);
    // A public route ignores credentials entirely, even bad ones.
    assert.equal((await custom.inject({ method: 'POST', url: '/x/public-write', headers: bearer('nonsense') })).statusCode, 200);
    assert.equal((await custom.inject({ method: 'POST', url: '/x/read-write', headers: bearer(readKey) })).statusCode, 200);
    assert.equal((await custom.inject({ method: 'POST', url: '/x/read-write' })).statusCode, 200, 'read access is open while keys are not required');

    const tdb2 = await createTestDatabase();
    t.after(() => tdb2.cleanup());
    const broken = await buildApp({ config: testConfig(), db: tdb2.db, worker: false, seed: false, logger: false });
    t.after(() => broken.close());
    assert.throws(() => broken.get('/x/typo', { config: { access: 'admn' as 'admin' } }, async () => ({})), /config\.access must be one of admin, read, public/);
  });
});

describe('auth: reads', () => {
  test('open by default; an invalid key on a read is still refused (the client should know)', async (t) => {
    const app = await build(t, {});
    assert.equal((await app.inject('/api/policies')).statusCode, 200);
    assert.equal((await app.inject('/feeds/changes.atom')).statusCode, 200);
    assertRefused(await app.inject({ url: '/api/policies', headers: bearer('pw_wrong') }), 401, 'INVALID_API_KEY', 'bad key on a read');
  });

  test('POLICYWATCH_REQUIRE_API_KEY=on: every read route in the table needs a read or admin key; health and readiness stay open', async (t) => {
    const app = await build(t, { config: { requireApiKey: true, rssFeeds: [] } });
    const { key: readKey } = await app.services.apiKeys.create({ role: 'read' });
    const reads = routeTable(app).filter((r) => r.method === 'GET');
    assert.ok(reads.length >= 10, JSON.stringify(reads));
    for (const r of reads) {
      const url = concreteUrl(r.url);
      if (PUBLIC.has(r.url)) {
        const res = await app.inject(url);
        assert.ok([200, 503].includes(res.statusCode), `${r.url} stays open: ${res.statusCode}`);
        assert.equal(res.headers['www-authenticate'], undefined);
        continue;
      }
      assertRefused(await app.inject(url), 401, 'UNAUTHORIZED', `GET ${r.url} without a key`);
      const head = await app.inject({ method: 'HEAD', url });
      assert.equal(head.statusCode, 401, `HEAD ${r.url} without a key`);
      assert.match(String(head.headers['www-authenticate']), /^Bearer/);
      // Reads that declare access 'admin' (alert subscriptions: they name internal receivers)
      // refuse a read key; every other read admits it.
      if (r.access === 'admin') assertRefused(await app.inject({ url, headers: bearer(readKey) }), 403, 'FORBIDDEN', `GET ${r.url} with a read key`);
      for (const headers of r.access === 'admin' ? [ADMIN] : [bearer(readKey), ADMIN]) {
        const res = await app.inject({ url, headers });
        assert.ok(![401, 403].includes(res.statusCode) && res.statusCode < 500, `GET ${r.url} with a key: ${res.statusCode} ${res.body}`);
      }
    }
    // Writes still need admin.
    assertRefused(await app.inject({ method: 'POST', url: '/api/feeds', headers: bearer(readKey), payload: {} }), 403, 'FORBIDDEN', 'write with read key');
  });
});
