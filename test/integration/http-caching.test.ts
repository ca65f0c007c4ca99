// HTTP caching: strong ETags and 304s, the response cache keyed on the data generation (never
// stale: a new event shows at once, here and in another process on the same database, and on
// PGlite), compression that decodes to the same JSON, and the one-line request log.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { ChangePage } from '../../src/http/schemas/changes.ts';
import type { PolicyPage } from '../../src/http/schemas/policies.ts';
import { build } from '../support/app.ts';
import { importApiPolicies, newPolicy } from '../support/api-data.ts';
import { createTestDatabaseUrl, TEST_DB_TIMEOUTS } from '../support/db.ts';
import { openDatabase } from '../../src/db/database.ts';
import { buildApp } from '../../src/app.ts';
import { testConfig } from '../support/app.ts';
import { killIfRunning, spawnCli, waitFor } from '../support/cli.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});
const ctx = { after: (fn: () => Promise<void>) => cleanups.push(fn) };

async function addPolicy(app: FastifyInstance, name: string) {
  async function* one() {
    yield newPolicy(name);
  }
  await app.services.importer.import('test-new', one());
}

const names = (p: ChangePage) => p.items.map((e) => e.policy.name);

describe('HTTP caching', { timeout: 180_000 }, () => {
  test('a repeated GET with the ETag is a 304 without a body; a changed answer has a new ETag', async () => {
    const app = await build(ctx);
    await importApiPolicies(app);
    const first = await app.inject('/api/changes?kind=all');
    assert.equal(first.statusCode, 200);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]{20,}"$/, 'a strong ETag');
    assert.match(String(first.headers['cache-control']), /public, max-age=\d+/);
    const again = await app.inject({ url: '/api/changes?kind=all', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, etag);
    // Weak comparison and lists, as RFC 9110 allows in If-None-Match.
    assert.equal((await app.inject({ url: '/api/changes?kind=all', headers: { 'if-none-match': `"x", W/${etag}` } })).statusCode, 304);
    assert.equal((await app.inject({ url: '/api/changes?kind=all', headers: { 'if-none-match': '"other"' } })).statusCode, 200);
    // Routes outside the response cache still answer 304 (revalidation).
    const runs = await app.inject('/api/poll-runs');
    assert.equal(runs.headers['cache-control'], 'no-cache');
    assert.equal((await app.inject({ url: '/api/poll-runs', headers: { 'if-none-match': String(runs.headers.etag) } })).statusCode, 304);
    assert.equal((await app.inject('/healthz')).headers['cache-control'], 'no-store');
    // New data: a new answer, a new ETag, and the old ETag no longer matches.
    await addPolicy(app, 'PwBrandNew');
    const changed = await app.inject({ url: '/api/changes?kind=all', headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.ok(names(changed.json()).includes('PwBrandNew'));
  });

  test('a gzip or br response decodes to the same JSON, with its own ETag; 304 across encodings', async () => {
    const app = await build(ctx);
    await importApiPolicies(app);
    const plain = await app.inject('/api/changes?kind=all&detail=full');
    const gz = await app.inject({ url: '/api/changes?kind=all&detail=full', headers: { 'accept-encoding': 'gzip' } });
    const br = await app.inject({ url: '/api/changes?kind=all&detail=full', headers: { 'accept-encoding': 'br' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(gz.headers.vary), /accept-encoding/i);
    assert.deepEqual(JSON.parse(gunzipSync(gz.rawPayload).toString('utf8')), plain.json());
    assert.deepEqual(JSON.parse(brotliDecompressSync(br.rawPayload).toString('utf8')), plain.json());
    assert.ok(gz.rawPayload.length < plain.rawPayload.length / 3, `${gz.rawPayload.length} vs ${plain.rawPayload.length}`);
    assert.equal(gz.headers.etag, `${String(plain.headers.etag).slice(0, -1)}-gzip"`);
    assert.equal(br.headers.etag, `${String(plain.headers.etag).slice(0, -1)}-br"`);
    const revalidated = await app.inject({ url: '/api/changes?kind=all&detail=full', headers: { 'accept-encoding': 'gzip', 'if-none-match': String(gz.headers.etag) } });
    assert.equal(revalidated.statusCode, 304);
  });

  test('a new event invalidates the cached change list at once, in this process and in another one on the same database', async () => {
    const { url, drop } = await createTestDatabaseUrl();
    cleanups.push(drop);
    const db = await openDatabase({ databaseUrl: url, poolMax: 4 , timeouts: TEST_DB_TIMEOUTS });
    cleanups.push(() => db.close());
    const app = await buildApp({ config: testConfig(), db, worker: false, seed: false, logger: false });
    cleanups.push(() => app.close().then(() => undefined));
    await importApiPolicies(app);
    const other = spawnCli(['serve', '--no-worker'], { DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'info', POLICYWATCH_SEED_DATASET: 'off' });
    cleanups.push(async () => killIfRunning(other));
    const address = await waitFor('the listening log line', () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(other.stdout())?.[1], {
      timeoutMs: 60_000, abortIf: () => (other.exited() ? `serve exited: ${other.stderr()}` : undefined),
    });
    const remote = async () => (await (await fetch(`${address}/api/changes?kind=all`)).json()) as ChangePage;

    // Warm both caches; a second read is served from them.
    const before = names((await app.inject('/api/changes?kind=all')).json());
    assert.deepEqual(names(await remote()), before);
    assert.deepEqual(names((await app.inject('/api/changes?kind=all')).json()), before);
    assert.deepEqual(names(await remote()), before);
    assert.ok(!before.includes('PwArrivesLater'));

    await addPolicy(app, 'PwArrivesLater');
    // No waiting: the write has committed, so both processes answer with it.
    assert.ok(names((await app.inject('/api/changes?kind=all')).json()).includes('PwArrivesLater'), 'same process');
    assert.ok(names(await remote()).includes('PwArrivesLater'), 'other process');
    const policies = (await (await fetch(`${address}/api/policies?limit=500`)).json()) as PolicyPage;
    assert.ok(policies.items.some((p) => p.name === 'PwArrivesLater'));

    // Request logs: one info line per request, none for the probes.
    for (const probe of ['/healthz', '/readyz', '/healthz?x=1']) await fetch(`${address}${probe}`);
    await fetch(`${address}/api/policies?limit=1`);
    await waitFor('the log line of the last request', () => other.stdout().includes('/api/policies?limit=1'));
    const lines = other.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; url?: string; level: number; statusCode?: number; reqId?: string; responseTime?: number });
    const requestLines = lines.filter((l) => l.url !== undefined);
    assert.equal(requestLines.filter((l) => l.url === '/api/policies?limit=1').length, 1, 'exactly one line for the request');
    assert.equal(requestLines.length, 5, JSON.stringify(requestLines));
    assert.ok(requestLines.every((l) => l.msg === 'request' && l.level === 30 && l.statusCode === 200));
    assert.ok(requestLines.every((l) => typeof l.reqId === 'string' && typeof l.responseTime === 'number'), 'each line names its request and its time');
    assert.equal(new Set(requestLines.map((l) => l.reqId)).size, requestLines.length);
    assert.ok(!lines.some((l) => /healthz|readyz/.test(JSON.stringify(l))), 'no line for the probes');
    assert.ok(!lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'));
  });

  test('PGlite: the generation moves with every write there too', async () => {
    const app = await build(ctx, { backend: 'pglite' });
    const g0 = await app.services.generation.current();
    await importApiPolicies(app);
    const g1 = await app.services.generation.current();
    assert.ok(BigInt(g1) > BigInt(g0), `${g0} → ${g1}`);
    const first = (await app.inject('/api/changes?kind=all')).json() as ChangePage;
    await addPolicy(app, 'PwLite');
    const second = (await app.inject('/api/changes?kind=all')).json() as ChangePage;
    assert.ok(!names(first).includes('PwLite') && names(second).includes('PwLite'));
    // An update that changes nothing moves nothing.
    const g2 = await app.services.generation.current();
    await app.db.sql.exec("UPDATE policies SET name = name WHERE name = 'PwLite'");
    assert.equal(await app.services.generation.current(), g2);
    // Documentation entries count as well.
    await app.db.sql.exec("UPDATE feeds SET title = 'renamed' WHERE id = (SELECT min(id) FROM feeds)");
    await app.inject({ method: 'POST', url: '/api/feeds', payload: { url: 'http://127.0.0.1:9/feed.rss' } });
    assert.ok(BigInt(await app.services.generation.current()) > BigInt(g2));
  });
});
