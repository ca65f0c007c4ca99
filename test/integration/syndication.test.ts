// Syndication output (our own Atom/RSS of change events) through app.inject: GET /feeds/changes.atom and /feeds/changes.rss over the real AmazonQ history,
// with AWS's reasons from the fixture documentation feed (polled from a local server).
// Parsed back with rss-parser, and structurally with fast-xml-parser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import Parser from 'rss-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ADMIN, build } from '../support/app.ts';
import { CORPUS_DIR } from '../support/paths.ts';
import { importHistory, pollRss } from '../../src/jobs/jobs.ts';

const FIXTURE = readFileSync(new URL('../fixtures/rss/amazonq-doc-history.rss.xml', import.meta.url), 'utf8');
const rssParser = new Parser();

type Event = { id: string; kind: string; toVersionId: string | null; policy: { name: string } };
type AtomEntry = { id: string; title: { '#text': string }; link: { '@_href': string; '@_rel': string }[]; content: { '#text': string }; category?: { '@_term': string }[]; updated: string };

describe('GET /feeds/changes.atom and .rss', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const t = { after: (fn: () => Promise<void>) => cleanups.push(fn) };
  let app: Awaited<ReturnType<typeof build>>;
  let qEvents: Event[];

  before(async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FIXTURE);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/doc-history.rss`;
    app = await build(t, { config: { rssFeeds: [], publicUrl: 'http://watch.example.com' } });
    const added = await app.inject({ method: 'POST', headers: ADMIN, url: '/api/feeds', payload: { url, services: ['q'] } });
    assert.equal(added.statusCode, 201);
    await importHistory({ services: app.services, log: app.log, signal: new AbortController().signal }, CORPUS_DIR);
    const r = await app.scheduler.runNow('rss', (h) => pollRss(h));
    assert.ok(r.ran && r.result.run.status === 'succeeded');
    const page = await app.inject('/api/policies/AmazonQFullAccess/changes?limit=200');
    qEvents = (page.json() as { items: Event[] }).items;
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  // Links come from POLICYWATCH_PUBLIC_URL; the Host header a client sends never reaches them.
  const fetchFeed = async (url: string, host = 'attacker.example') => {
    const res = await app.inject({ url, headers: { host } });
    assert.equal(res.statusCode, 200, res.body.slice(0, 300));
    return res;
  };

  test('Atom for one policy: its created and permissions_changed events, newest first, stable ids, one link each', async () => {
    const res = await fetchFeed('/feeds/changes.atom?policy=AmazonQFullAccess');
    assert.match(String(res.headers['content-type']), /^application\/atom\+xml/);
    assert.equal(XMLValidator.validate(res.body), true);
    const parsed = await rssParser.parseString(res.body);
    // created v1 and permissions_changed v2..v7; the v9/v11 version bumps (metadata_only) are not news.
    assert.deepEqual(qEvents.map((e) => e.toVersionId), ['v7', 'v6', 'v5', 'v4', 'v3', 'v2', 'v1']);
    assert.deepEqual(parsed.items.map((i) => (i as { id?: string }).id), qEvents.map((e) => `urn:policywatch:event:${e.id}`));
    assert.deepEqual(parsed.items.map((i) => i.link), qEvents.map((e) => `http://watch.example.com/api/changes/${e.id}`));
    assert.equal(parsed.items[2]?.title, 'AmazonQFullAccess v5: +10 actions (iam:PassRole, q:CreatePlugin, …)');
    assert.match(parsed.items[6]?.title ?? '', /^AmazonQFullAccess v1: new policy \(\d+ actions\)$/);
    assert.match(parsed.title ?? '', /AmazonQFullAccess/);

    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ['entry', 'link', 'category'].includes(n) }).parse(res.body) as { feed: { id: string; link: { '@_rel': string; '@_href': string }[]; entry: AtomEntry[] } };
    assert.equal(doc.feed.id, 'urn:policywatch:feed:changes%3Fpolicy%3DAmazonQFullAccess');
    assert.deepEqual(doc.feed.link.find((l) => l['@_rel'] === 'self')?.['@_href'], 'http://watch.example.com/feeds/changes.atom?policy=AmazonQFullAccess');
    assert.ok(doc.feed.entry.every((e) => e.link.length === 1 && e.link[0]?.['@_rel'] === 'alternate'), 'one link per entry');

    const v5 = doc.feed.entry[2] as AtomEntry;
    const text = v5.content['#text'];
    assert.match(text, /^AmazonQFullAccess v4 → v5 — permissions changed, 2024-11-13T21:51:39\.000Z/);
    assert.match(text, /Added \(10\): iam:PassRole, q:CreatePlugin, q:DeletePlugin, q:GetPlugin, q:ListPluginProviders, q:ListPlugins, q:ListTagsForResource, q:TagResource, q:UntagResource, q:UsePlugin/);
    assert.match(text, /Flags: .*privilege-escalation/);
    assert.match(text, /AWS's reason \(Document history for Amazon Q Developer User Guide, 2024-11-13\): AmazonQFullAccess - Updated policy — AmazonQFullAccess: Additional permissions have been added to configure and use Amazon Q Developer plugins/);
    assert.deepEqual(v5.category?.map((c) => c['@_term']).slice(0, 2), ['permissions_changed', 'AmazonQFullAccess']);

    // v3 replaced q:* with a list: AWS's "added" wording and the flag are side by side; the long
    // removed list is capped.
    const v3 = doc.feed.entry[4] as AtomEntry;
    assert.match(v3.title['#text'], /^AmazonQFullAccess v3: \+\d+ -\d+ actions \(/);
    assert.match(v3.content['#text'], /Removed \(\d+\): .*, … and \d+ more/);
    assert.match(v3.content['#text'], /Flags: .*doc-says-added-but-narrowed/);
    assert.match(v3.content['#text'], /access downstream resources/);
    // v6 has no entry in the history: said so.
    assert.match((doc.feed.entry[1] as AtomEntry).content['#text'], /AWS's reason: none found in the documentation history\./);

    // Stable: the same request gives the same document.
    assert.equal((await fetchFeed('/feeds/changes.atom?policy=AmazonQFullAccess')).body, res.body);
  });

  test('RSS 2.0 carries the same entries; filters by glob and service', async () => {
    const res = await fetchFeed('/feeds/changes.rss?policy=AmazonQFullAccess');
    assert.match(String(res.headers['content-type']), /^application\/rss\+xml/);
    assert.match(res.body, /<rss version="2.0"/);
    const parsed = await rssParser.parseString(res.body);
    assert.deepEqual(parsed.items.map((i) => i.guid), qEvents.map((e) => `urn:policywatch:event:${e.id}`));
    assert.equal(parsed.items[2]?.title, 'AmazonQFullAccess v5: +10 actions (iam:PassRole, q:CreatePlugin, …)');
    assert.equal(parsed.items[2]?.isoDate, '2024-11-13T21:51:39.000Z');

    const glob = await rssParser.parseString((await fetchFeed('/feeds/changes.atom?policy=AmazonQ*')).body);
    const names = new Set(glob.items.map((i) => i.title?.split(' ')[0]));
    assert.deepEqual([...names].sort(), ['AmazonQDeveloperAccess', 'AmazonQFullAccess']);
    const iam = await rssParser.parseString((await fetchFeed('/feeds/changes.atom?service=iam')).body);
    assert.ok(iam.items.some((i) => i.title?.startsWith('AmazonQFullAccess v5:')));
    assert.ok(iam.items.every((i) => !i.title?.startsWith('AmazonQFullAccess v6:')), 'v6 touched only q');
    const all = await rssParser.parseString((await fetchFeed('/feeds/changes.atom')).body);
    assert.ok(all.items.length > qEvents.length && all.items.length <= 100);
    const none = await rssParser.parseString((await fetchFeed('/feeds/changes.atom?policy=NoSuchPolicy')).body);
    assert.equal(none.items.length, 0);
  });

  test('bad filters are 4xx JSON naming the problem', async () => {
    for (const [url, code] of [
      ['/feeds/changes.atom?policy=bad%20name', 'INVALID_FILTER'],
      ['/feeds/changes.rss?service=s3%3Bx', 'INVALID_FILTER'],
      ['/feeds/changes.atom?kind=all', 'INVALID_REQUEST'],
    ] as const) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 400, url);
      assert.equal((res.json() as { error: { code: string } }).error.code, code, url);
    }
  });
});

test('without POLICYWATCH_PUBLIC_URL, links name the bound address, whatever Host the client sends', async (t) => {
  const app = await build(t, { config: { rssFeeds: [], port: 0 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  for (const path of ['/feeds/changes.atom', '/feeds/changes.rss']) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { host: 'attacker.example:8443', 'x-forwarded-host': 'attacker.example' } }, (res) => {
        let out = '';
        res.setEncoding('utf8').on('data', (d: string) => (out += d)).on('end', () => resolve(out));
      });
      req.on('error', reject).end();
    });
    assert.doesNotMatch(body, /attacker/, path);
    assert.ok(body.includes(`http://127.0.0.1:${port}${path}`), `${path} links to the bound address: ${body.slice(0, 400)}`);
  }
});
