// Request rate limits (per key, else per address), the feed cap and paging of GET /api/feeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, build } from '../support/app.ts';

type ErrorBody = { error: { code: string; message: string } };
type Feed = { id: number; url: string };
type FeedPage = { items: Feed[]; nextCursor: string | null };

test('rate limit: 429 with Retry-After in our error shape; counted per API key, else per address; probes exempt', async (t) => {
  const app = await build(t, { config: { rateLimitMax: 3, rateLimitWindowSeconds: 60, rssFeeds: [] } });
  const { key: k1 } = await app.services.apiKeys.create({ role: 'read', name: 'one' });
  const { key: k2 } = await app.services.apiKeys.create({ role: 'read', name: 'two' });
  const get = (headers: Record<string, string> = {}, remoteAddress = '10.0.0.1') => app.inject({ url: '/api/policies', headers, remoteAddress });

  for (let i = 0; i < 3; i++) assert.equal((await get({ authorization: `Bearer ${k1}` })).statusCode, 200);
  const limited = await get({ authorization: `Bearer ${k1}` });
  assert.equal(limited.statusCode, 429, limited.body);
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
  const body = limited.json() as ErrorBody;
  assert.equal(body.error.code, 'RATE_LIMITED');
  assert.match(body.error.message, /retry in/);

  // Another key from the same address has its own budget, and so does the address without a key.
  for (let i = 0; i < 3; i++) assert.equal((await get({ authorization: `Bearer ${k2}` })).statusCode, 200);
  assert.equal((await get({ authorization: `Bearer ${k2}` })).statusCode, 429);
  for (let i = 0; i < 3; i++) assert.equal((await get()).statusCode, 200);
  assert.equal((await get()).statusCode, 429);
  assert.equal((await get({}, '10.0.0.2')).statusCode, 200, 'another address is not limited');
  // A failed key counts against the address, so guessing keys is limited too.
  assert.equal((await get({ authorization: 'Bearer pw_guess' }, '10.0.0.3')).statusCode, 401);
  for (let i = 0; i < 2; i++) await get({}, '10.0.0.3');
  assert.equal((await get({ authorization: 'Bearer pw_guess' }, '10.0.0.3')).statusCode, 429);

  for (let i = 0; i < 10; i++) assert.equal((await app.inject({ url: '/healthz', remoteAddress: '10.0.0.1' })).statusCode, 200, 'health probes are never limited');
});

test('POLICYWATCH_MAX_FEEDS: the feed past the cap is a 409 FEED_LIMIT naming the setting; deleting one makes room', async (t) => {
  const app = await build(t, { config: { maxFeeds: 2, rssFeeds: [] } });
  const add = (n: number) => app.inject({ method: 'POST', url: '/api/feeds', headers: ADMIN, payload: { url: `http://127.0.0.1:9/guide${n}/doc-history.rss` } });
  const first = await add(1);
  assert.equal(first.statusCode, 201, first.body);
  assert.equal((await add(2)).statusCode, 201);
  const full = await add(3);
  assert.equal(full.statusCode, 409, full.body);
  const err = (full.json() as ErrorBody).error;
  assert.equal(err.code, 'FEED_LIMIT');
  assert.match(err.message, /at most 2 .*POLICYWATCH_MAX_FEEDS/);
  assert.equal(((await app.inject('/api/feeds')).json() as FeedPage).items.length, 2);
  assert.equal((await app.inject({ method: 'DELETE', url: `/api/feeds/${(first.json() as Feed).id}`, headers: ADMIN })).statusCode, 204);
  assert.equal((await add(3)).statusCode, 201);
});

test('GET /api/feeds pages by cursor: every feed once, in id order; bad cursors and limits are 400s', async (t) => {
  const app = await build(t, { config: { rssFeeds: [] } });
  for (let n = 0; n < 7; n++) {
    const r = await app.inject({ method: 'POST', url: '/api/feeds', headers: ADMIN, payload: { url: `http://127.0.0.1:9/g${n}/doc-history.rss` } });
    assert.equal(r.statusCode, 201, r.body);
  }
  const all = (await app.inject('/api/feeds')).json() as FeedPage;
  assert.equal(all.items.length, 7);
  assert.equal(all.nextCursor, null);
  const seen: number[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const page: FeedPage = (await app.inject(`/api/feeds?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json() as FeedPage;
    sizes.push(page.items.length);
    seen.push(...page.items.map((f) => f.id));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(sizes, [3, 3, 1]);
  assert.deepEqual(seen, all.items.map((f) => f.id));
  assert.deepEqual([...seen].sort((a, b) => a - b), seen);
  for (const url of ['/api/feeds?limit=0', '/api/feeds?limit=201', '/api/feeds?cursor=nope!', `/api/feeds?cursor=${Buffer.from('{"after":-5}').toString('base64url')}`, `/api/feeds?cursor=${Buffer.from('{"after":"1"}').toString('base64url')}`]) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
  }
});
