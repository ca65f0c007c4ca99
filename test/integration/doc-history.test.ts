// AWS documentation history joined to the real AmazonQ change events: the fixture feed (the
// Amazon Q Developer guide's "Policy updates" rows in AWS's RSS shape) served by a local HTTP
// server, polled through the rss job, against the corpus history imported from
// shared/corpus/real-history. Real Postgres.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { build } from '../support/app.ts';
import type { Resolver } from '../../src/sources/outbound/index.ts';
import { CORPUS_DIR } from '../support/paths.ts';
import { importHistory, pollRss } from '../../src/jobs/jobs.ts';
import type { RssPollResult } from '../../src/services/doc-history-service.ts';

const FIXTURE = readFileSync(new URL('../fixtures/rss/amazonq-doc-history.rss.xml', import.meta.url), 'utf8');

// A second, made-up guide: an entry for a version that never existed, and a description that
// tries to smuggle markup through (escaped once, and escaped twice).
const EXTRA = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Extra guide history</title><link>https://docs.aws.amazon.com/extra/</link><description/>
<item><title>AmazonQFullAccess - Updated policy</title><link>https://docs.aws.amazon.com/extra/p.html</link>
<description>&lt;code class="code"&gt;AmazonQFullAccess&lt;/code&gt;: Removed permissions &lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;img src=x onerror=alert(2)&amp;gt;.</description>
<pubDate>Wed, 15 Jan 2025 19:00:00 GMT</pubDate><guid isPermaLink="false">https://docs.aws.amazon.com/extra/#q_2025-01-15</guid></item>
</channel></rss>`;

type DocRef = { id: string; feed: { id: number; title: string | null; url: string }; title: string; description: string; link: string | null; publishedAt: string; kind: string; statedDirection: string };
type Event = { id: string; kind: string; toVersionId: string | null; fromVersionId: string | null; flags: string[]; narrowed: boolean; broadened: boolean; policy: { name: string }; docHistory: DocRef[] };
type Page = { items: Event[]; nextCursor: string | null };
type Entry = {
  id: string; feed: { id: number; url: string }; title: string; description: string; link: string | null; publishedAt: string | null; kind: string; statedDirection: string;
  flags: string[]; firstSeenAt: string; policies: { name: string; resolved: boolean }[]; events: { id: string; policy: string; toVersionId: string }[];
};
type EntryPage = { items: Entry[]; nextCursor: string | null };
type Feed = { id: number; url: string; title: string | null; services: string[]; enabled: boolean; origin: string; lastStatus: string | null; lastError: string | null; lastPolledAt: string | null; etag: string | null; entryCount: number };
type ErrorBody = { error: { code: string; message: string } };

interface Hit { path: string; ifNoneMatch: string | undefined; status: number; bodyBytes: number }

async function startFeedServer(t: { after(fn: () => Promise<void>): unknown }) {
  const hits: Hit[] = [];
  const routes = new Map<string, { body: string; etag: string }>([
    ['/amazonq/doc-history.rss', { body: FIXTURE, etag: '"q-1"' }],
    ['/extra/doc-history.rss', { body: EXTRA, etag: '"x-1"' }],
  ]);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = routes.get(req.url ?? '');
    const inm = req.headers['if-none-match'];
    if (!route) {
      res.writeHead(404).end();
      hits.push({ path: req.url ?? '', ifNoneMatch: inm, status: 404, bodyBytes: 0 });
      return;
    }
    if (inm === route.etag) {
      res.writeHead(304, { etag: route.etag }).end();
      hits.push({ path: req.url ?? '', ifNoneMatch: inm, status: 304, bodyBytes: 0 });
      return;
    }
    const body = Buffer.from(route.body, 'utf8');
    res.writeHead(200, { 'content-type': 'application/rss+xml; charset=UTF-8', etag: route.etag, 'content-length': body.length }).end(body);
    hits.push({ path: req.url ?? '', ifNoneMatch: inm, status: 200, bodyBytes: body.length });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, hits, routes };
}

describe('documentation history joined to the real AmazonQ history', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const t = { after: (fn: () => Promise<void>) => cleanups.push(fn) };
  let app: Awaited<ReturnType<typeof build>>;
  let srv: Awaited<ReturnType<typeof startFeedServer>>;
  let qFeed: Feed;
  const helpers = () => ({ services: app.services, log: app.log, signal: new AbortController().signal });
  const get = async <T>(url: string, status = 200): Promise<T> => {
    const res = await app.inject(url);
    assert.equal(res.statusCode, status, `${url}: ${res.body.slice(0, 400)}`);
    return res.json() as T;
  };
  const poll = async (): Promise<RssPollResult> => {
    const r = await app.scheduler.runNow('rss', (h) => pollRss(h));
    assert.ok(r.ran);
    return r.result;
  };
  const eventTo = async (policy: string, v: string) => {
    const page = await get<Page>(`/api/policies/${policy}/changes?kind=all&limit=200`);
    const e = page.items.find((i) => i.toVersionId === v);
    assert.ok(e, `event for ${policy} ${v}`);
    return e;
  };
  const dates = (e: Event) => e.docHistory.map((d) => d.publishedAt.slice(0, 10));

  before(async () => {
    srv = await startFeedServer(t);
    // An empty configured list: no default (internet) feeds; the tests add theirs through the API.
    app = await build(t, { config: { rssFeeds: [] } });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('POST /api/feeds adds a feed (201), lists it, refuses a duplicate (409)', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/feeds', payload: { url: `${srv.base}/amazonq/doc-history.rss`, services: ['q', 'Q'] } });
    assert.equal(res.statusCode, 201, res.body);
    qFeed = res.json() as Feed;
    assert.equal(res.headers.location, `/api/feeds/${qFeed.id}`);
    assert.deepEqual(qFeed.services, ['q']);
    assert.equal(qFeed.origin, 'api');
    assert.equal(qFeed.enabled, true);
    assert.equal(qFeed.title, null);
    const list = await get<{ items: Feed[] }>('/api/feeds');
    assert.deepEqual(list.items.map((f) => f.url), [`${srv.base}/amazonq/doc-history.rss`]);
    const dup = await app.inject({ method: 'POST', url: '/api/feeds', payload: { url: `${srv.base}/amazonq/doc-history.rss#again` } });
    assert.equal(dup.statusCode, 409);
    assert.equal((dup.json() as ErrorBody).error.code, 'FEED_EXISTS');
  });

  test('a poll before any policy exists stores the entries; importing the history afterwards joins them', async () => {
    const r = await poll();
    assert.equal(r.run.source, 'rss');
    assert.equal(r.run.status, 'succeeded');
    assert.equal(r.run.apiCalls, 1);
    assert.equal(r.entriesAdded, 11);
    assert.equal(r.run.versionsAdded, 11, 'rss runs count new entries in versionsAdded');
    const entries = await get<EntryPage>('/api/doc-history?limit=200');
    assert.equal(entries.items.length, 11);
    assert.ok(entries.items.every((e) => e.policies.every((p) => !p.resolved)), 'nothing to resolve against yet');
    assert.ok(entries.items.every((e) => e.events.length === 0));
    const feed = (await get<{ items: Feed[] }>('/api/feeds')).items[0] as Feed;
    assert.equal(feed.title, 'Document history for Amazon Q Developer User Guide', 'title read from the channel');
    assert.equal(feed.lastStatus, 'ok');
    assert.equal(feed.etag, '"q-1"');
    assert.equal(feed.entryCount, 11);

    // The import computes change events; the policiesChanged hook joins them to stored entries.
    await importHistory(helpers(), CORPUS_DIR);
    const after1 = await get<EntryPage>('/api/doc-history?limit=200');
    assert.ok(after1.items.some((e) => e.events.length > 0));
    const runs = await get<{ items: { source: string }[] }>('/api/poll-runs?source=rss');
    assert.equal(runs.items.length, 1);
  });

  test('2024-11-13 entries explain AmazonQFullAccess v4→v5 and AmazonQDeveloperAccess v2→v3', async () => {
    const full = await eventTo('AmazonQFullAccess', 'v5');
    assert.equal(full.fromVersionId, 'v4');
    assert.deepEqual(dates(full), ['2024-11-13']);
    const d = full.docHistory[0] as DocRef;
    assert.equal(d.title, 'AmazonQFullAccess - Updated policy');
    assert.match(d.description, /^AmazonQFullAccess: Additional permissions have been added to configure and use Amazon Q Developer plugins/);
    assert.equal(d.link, 'https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/managed-policy.html');
    assert.equal(d.feed.id, qFeed.id);
    assert.equal(d.feed.title, 'Document history for Amazon Q Developer User Guide');
    assert.equal(d.kind, 'updated_policy');
    assert.equal(d.statedDirection, 'added');
    assert.ok(!full.flags.some((f) => f.startsWith('doc-says')), 'v5 broadened, as AWS said');

    const dev = await eventTo('AmazonQDeveloperAccess', 'v3');
    assert.equal(dev.fromVersionId, 'v2');
    assert.deepEqual(dates(dev), ['2024-11-13']);
    assert.match((dev.docHistory[0] as DocRef).description, /enable the use of Amazon Q Developer plugins/);
    // The same join on the single-event endpoint and on the global feed.
    const one = await get<Event>(`/api/changes/${full.id}`);
    assert.deepEqual(one.docHistory, full.docHistory);
    const global = await get<Page>('/api/changes?since=2024-11-13&until=2024-11-14');
    assert.deepEqual(global.items.map((e) => `${e.policy.name}@${e.toVersionId}:${dates(e).join()}`).sort(), ['AmazonQDeveloperAccess@v3:2024-11-13', 'AmazonQFullAccess@v5:2024-11-13']);
  });

  test('2024-07-09 "additional permissions have been added" links v2→v3, which narrowed: doc-says-added-but-narrowed', async () => {
    const v3 = await eventTo('AmazonQFullAccess', 'v3');
    assert.equal(v3.fromVersionId, 'v2');
    assert.equal(v3.narrowed, true);
    assert.deepEqual(dates(v3), ['2024-07-09']);
    assert.match((v3.docHistory[0] as DocRef).description, /access downstream resources/);
    assert.ok(v3.flags.includes('doc-says-added-but-narrowed'), v3.flags.join());
    assert.ok(!v3.flags.includes('undocumented'));
    const flagged = await get<Page>('/api/changes?flag=doc-says-added-but-narrowed&kind=all');
    assert.deepEqual(flagged.items.map((e) => `${e.policy.name}@${e.toVersionId}`), ['AmazonQFullAccess@v3']);
    const entry = await get<EntryPage>('/api/doc-history?flag=doc-says-added-but-narrowed');
    assert.deepEqual(entry.items.map((e) => [e.title, e.publishedAt?.slice(0, 10)]), [['AmazonQFullAccess - Updated policy', '2024-07-09']]);
  });

  test('the 2024-04-30 subscription-check entry links AmazonQFullAccess v2 (created 2024-04-29); other rows land on their versions', async () => {
    const v2 = await eventTo('AmazonQFullAccess', 'v2');
    assert.deepEqual(dates(v2), ['2024-04-30']);
    assert.match((v2.docHistory[0] as DocRef).description, /subscriptions checks/);
    assert.deepEqual(dates(await eventTo('AmazonQFullAccess', 'v1')), ['2023-11-28'], 'the "New policy" row explains the created event');
    assert.deepEqual(dates(await eventTo('AmazonQFullAccess', 'v4')), ['2024-10-28']);
    assert.deepEqual(dates(await eventTo('AmazonQDeveloperAccess', 'v1')), ['2024-07-09']);
    assert.deepEqual(dates(await eventTo('AmazonQDeveloperAccess', 'v2')), ['2024-10-28']);
    // Version bumps with an identical document are never explained by (or linked to) an entry.
    assert.deepEqual((await eventTo('AmazonQFullAccess', 'v9')).docHistory, []);
    // Rows naming policies we do not hold stay unresolved and unflagged.
    const slr = await get<EntryPage>('/api/doc-history?policy=AWSServiceRoleForUserSubscriptionPolicy');
    assert.equal(slr.items.length, 1);
    assert.deepEqual(slr.items[0]?.policies, [{ name: 'AWSServiceRoleForUserSubscriptionPolicy', resolved: false }]);
    assert.deepEqual(slr.items[0]?.flags, []);
    const all = await get<EntryPage>('/api/doc-history?limit=200');
    assert.ok(all.items.every((e) => !e.flags.includes('documented-not-observed')), 'every resolved fixture row has its version');
  });

  test('undocumented: v6 and v7 have no entry, flagged only while a feed covers service q', async () => {
    const names = async () => (await get<Page>('/api/changes?flag=undocumented&kind=all&limit=200')).items.map((e) => `${e.policy.name}@${e.toVersionId}`).sort();
    // AmazonQDeveloperAccess v4 (2025-05-12) too; AWSServiceRoleForUserSubscriptions v2/v3 change
    // sso-directory and kms actions, which no configured feed covers.
    assert.deepEqual(await names(), ['AmazonQDeveloperAccess@v4', 'AmazonQFullAccess@v6', 'AmazonQFullAccess@v7']);
    const v6 = await eventTo('AmazonQFullAccess', 'v6');
    assert.ok(v6.flags.includes('undocumented'));
    assert.deepEqual(v6.docHistory, []);
    // Combined with an action filter, the doc flag still applies to the event.
    const withService = await get<Page>('/api/changes?flag=undocumented&service=q&kind=all');
    assert.ok(withService.items.some((e) => e.id === v6.id));

    // The same guide configured as covering only EKS: nothing is undocumented any more.
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/feeds/${qFeed.id}` })).statusCode, 204);
    assert.deepEqual(await names(), [], 'deleting the feed (and its entries) clears the flags');
    assert.deepEqual((await eventTo('AmazonQFullAccess', 'v5')).docHistory, []);
    const res = await app.inject({ method: 'POST', url: '/api/feeds', payload: { url: `${srv.base}/amazonq/doc-history.rss`, title: 'Q guide', services: ['eks'] } });
    assert.equal(res.statusCode, 201);
    qFeed = res.json() as Feed;
    assert.equal(qFeed.title, 'Q guide');
    const r = await poll();
    assert.equal(r.entriesAdded, 11);
    assert.deepEqual(await names(), []);
    assert.deepEqual(dates(await eventTo('AmazonQFullAccess', 'v5')), ['2024-11-13'], 'links do not depend on coverage');
    const feed = (await get<{ items: Feed[] }>('/api/feeds')).items.find((f) => f.id === qFeed.id);
    assert.equal(feed?.title, 'Q guide', 'a given title is kept');
  });

  test('second poll: 304, no body sent, nothing changes', async () => {
    const before1 = await get<EntryPage>('/api/doc-history?limit=200');
    const changesBefore = await get<Page>('/api/changes?kind=all&limit=200');
    const hitsBefore = srv.hits.length;
    const r = await poll();
    assert.deepEqual(r.feeds.map((f) => f.status), ['not_modified']);
    assert.equal(r.entriesAdded, 0);
    assert.equal(r.run.status, 'succeeded');
    assert.equal(r.run.apiCalls, 1);
    const hit = srv.hits.slice(hitsBefore);
    assert.deepEqual(hit.map((h) => [h.path, h.ifNoneMatch, h.status, h.bodyBytes]), [['/amazonq/doc-history.rss', '"q-1"', 304, 0]]);
    assert.deepEqual(await get<EntryPage>('/api/doc-history?limit=200'), before1);
    assert.deepEqual(await get<Page>('/api/changes?kind=all&limit=200'), changesBefore);
    const feed = (await get<{ items: Feed[] }>('/api/feeds')).items.find((f) => f.id === qFeed.id);
    assert.equal(feed?.lastStatus, 'not_modified');
    assert.equal(feed?.etag, '"q-1"', 'validators kept');
  });

  test('documented-not-observed, and descriptions are served as safe text', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/feeds', payload: { url: `${srv.base}/extra/doc-history.rss` } });
    assert.equal(res.statusCode, 201);
    const extra = res.json() as Feed;
    const r = await poll();
    assert.deepEqual(r.feeds.map((f) => f.status).sort(), ['not_modified', 'ok']);
    const page = await get<EntryPage>(`/api/doc-history?feed=${extra.id}`);
    assert.equal(page.items.length, 1);
    const e = page.items[0] as Entry;
    assert.deepEqual(e.flags, ['documented-not-observed'], 'AmazonQFullAccess has no version near 2025-01-15');
    assert.deepEqual(e.events, []);
    assert.equal(e.statedDirection, 'removed');
    assert.ok(!/<\s*(script|img)/i.test(e.description), e.description);
    assert.ok(!/<[a-z!/?]/i.test(JSON.stringify(page)), 'no tag can start anywhere in the response');
    // The script element is dropped with its content; markup escaped twice stays inert text.
    assert.equal(e.description, 'AmazonQFullAccess: Removed permissions \u2039img src=x onerror=alert(2)>.');
    const flagged = await get<EntryPage>('/api/doc-history?flag=documented-not-observed');
    assert.deepEqual(flagged.items.map((x) => x.id), [e.id]);
  });

  test('GET /api/doc-history: filters by policy (name or glob), feed, kind and date; cursor paging newest first', async () => {
    const dev = await get<EntryPage>('/api/doc-history?policy=AmazonQDeveloperAccess');
    assert.deepEqual(dev.items.map((e) => e.publishedAt?.slice(0, 10)), ['2024-11-13', '2024-10-28', '2024-07-09']);
    assert.ok(dev.items.every((e) => e.policies.some((p) => p.name === 'AmazonQDeveloperAccess' && p.resolved)));
    assert.deepEqual(dev.items[0]?.events.map((x) => `${x.policy}@${x.toVersionId}`), ['AmazonQDeveloperAccess@v3']);
    const glob = await get<EntryPage>('/api/doc-history?policy=AmazonQ*&since=2024-11-01&until=2024-12-01');
    assert.deepEqual(glob.items.map((e) => e.title).sort(), ['AmazonQDeveloperAccess - Updated policy', 'AmazonQFullAccess - Updated policy']);
    const newOnes = await get<EntryPage>(`/api/doc-history?kind=new_policy&feed=${qFeed.id}`);
    assert.deepEqual(newOnes.items.map((e) => e.title).sort(), [
      'AWSServiceRoleForAmazonQDeveloperPolicy - New policy', 'AWSServiceRoleForUserSubscriptionPolicy - New policy', 'AmazonQDeveloperAccess - New policy', 'AmazonQFullAccess - New policy',
    ]);
    assert.equal(newOnes.items.length, 4);
    assert.ok(newOnes.items.every((e) => e.kind === 'new_policy'));

    const all = await get<EntryPage>('/api/doc-history?limit=200');
    assert.equal(all.items.length, 12);
    const times = all.items.map((e) => Date.parse(e.publishedAt ?? ''));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: EntryPage = await get<EntryPage>(`/api/doc-history?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((e) => e.id));
      cursor = p.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all.items.map((e) => e.id));
  });

  test('bad input to /api/doc-history and /api/feeds is a 4xx naming the problem', async () => {
    const bad = async (method: 'GET' | 'POST' | 'DELETE', url: string, status: number, code: string, payload?: object) => {
      const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      const body = res.json() as ErrorBody;
      assert.equal(body.error.code, code, `${method} ${url}`);
      assert.ok(body.error.message.length > 0);
      return body.error.message;
    };
    await bad('GET', '/api/doc-history?since=2024-02-30', 400, 'INVALID_DATE');
    await bad('GET', '/api/doc-history?since=2025-01-01&until=2024-01-01', 400, 'INVALID_FILTER');
    assert.match(await bad('GET', '/api/doc-history?policy=no%20spaces', 400, 'INVALID_FILTER'), /policy/);
    assert.match(await bad('GET', '/api/doc-history?kind=exploded', 400, 'INVALID_FILTER'), /kind/);
    assert.match(await bad('GET', '/api/doc-history?flag=undocumented', 400, 'INVALID_FILTER'), /flag/);
    assert.match(await bad('GET', '/api/doc-history?feed=abc', 400, 'INVALID_REQUEST'), /feed/);
    await bad('GET', '/api/doc-history?feed=0', 400, 'INVALID_REQUEST');
    await bad('GET', '/api/doc-history?limit=0', 400, 'INVALID_REQUEST');
    await bad('GET', '/api/doc-history?cursor=nope!', 400, 'INVALID_CURSOR');
    await bad('GET', `/api/doc-history?cursor=${Buffer.from('{"t":1,"d":1,"id":"1 or 1=1"}').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad('GET', '/api/doc-history?bogus=1', 400, 'INVALID_REQUEST');
    assert.match(await bad('POST', '/api/feeds', 400, 'INVALID_URL', { url: 'ftp://example.com/feed.rss' }), /http/);
    await bad('POST', '/api/feeds', 400, 'INVALID_URL', { url: 'not a url' });
    await bad('POST', '/api/feeds', 400, 'INVALID_URL', { url: 'https://user:pw@example.com/feed.rss' });
    assert.match(await bad('POST', '/api/feeds', 400, 'INVALID_REQUEST', {}), /url/);
    await bad('POST', '/api/feeds', 400, 'INVALID_REQUEST', { url: 'https://example.com/a.rss', services: ['s 3'] });
    await bad('POST', '/api/feeds', 400, 'INVALID_REQUEST', { url: 'https://example.com/a.rss', extra: true });
    await bad('DELETE', '/api/feeds/abc', 400, 'INVALID_ID');
    await bad('DELETE', '/api/feeds/99999999999', 400, 'INVALID_ID');
    await bad('DELETE', '/api/feeds/999999', 404, 'NOT_FOUND');
    await bad('GET', '/api/changes?flag=documented-not-observed', 400, 'INVALID_FILTER');
  });
});

test('POST /api/feeds refuses, after resolving the host, every URL the outbound guard refuses', async (t) => {
  const { build } = await import('../support/app.ts');
  // No network in tests: the guard's resolver maps the names; intranet.example plays a name that
  // /etc/hosts points at 127.0.0.1.
  const resolver: Resolver = async (h) => {
    if (h === 'docs.aws.amazon.com') return [{ address: '52.94.236.248', family: 4 }];
    if (h === 'intranet.example') return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
  };
  const app = await build(t, { config: { feedAllowInternal: false, allowPrivateUrls: false }, resolver });
  const refused = async (url: string, reason: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/feeds', payload: { url } });
    assert.equal(res.statusCode, 400, url);
    const body = res.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'URL_NOT_ALLOWED', url);
    assert.match(body.error.message, new RegExp(`\\(${reason}\\)`), url);
  };
  for (const url of [
    'http://[::ffff:127.0.0.1]:4220/', 'http://[::ffff:169.254.169.254]/', 'http://localhost./', 'http://ip6-localhost/', 'http://intranet.example/feed.rss',
    'http://198.18.0.1/', 'http://224.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:8080/feed.rss', 'http://[::1]/x', 'http://localhost/feed',
  ]) await refused(url, 'blocked-address');
  await refused('https://no-such-host.example/feed.rss', 'dns-failed');
  const ok = await app.inject({ method: 'POST', url: '/api/feeds', payload: { url: 'https://docs.aws.amazon.com/example/latest/ug/doc-history.rss' } });
  assert.equal(ok.statusCode, 201);
  const feeds = (await app.inject({ method: 'GET', url: '/api/feeds' })).json() as { items: { url: string }[] };
  assert.deepEqual(feeds.items.filter((f) => !f.url.startsWith('https://docs.aws.amazon.com/')).map((f) => f.url), [], 'no refused URL was stored');
});
