// Documentation feeds go through the outbound-URL guard, configured ones (POLICYWATCH_RSS_FEEDS)
// included: a feed on a refused address, or one that redirects to one, is recorded as a failed
// feed with a short stable reason, nothing it served is stored, and no socket text is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { build } from '../support/app.ts';
import { pollRss } from '../../src/jobs/jobs.ts';

const FIXTURE = readFileSync(new URL('../fixtures/rss/amazonq-doc-history.rss.xml', import.meta.url), 'utf8');

test('configured feeds on refused addresses or redirecting to them fail as blocked-address; an admitted one is read', async (t) => {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/to-loopback.rss') return void res.writeHead(302, { location: `http://127.0.0.2:${port}/feed.rss` }).end();
    if (req.url === '/to-metadata.rss') return void res.writeHead(301, { location: 'http://[::ffff:169.254.169.254]/latest/meta-data/' }).end();
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FIXTURE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const admitted = `http://127.0.0.1:${port}`;
  const feeds = [
    `${admitted}/feed.rss`, `${admitted}/to-loopback.rss`, `${admitted}/to-metadata.rss`,
    `http://[::1]:${port}/feed.rss`, `http://127.0.0.3:${port}/feed.rss`, 'http://[::ffff:169.254.169.254]/feed.rss', 'http://198.18.0.1/feed.rss', 'http://224.0.0.1/feed.rss',
  ];
  // Only the address 127.0.0.1 is admitted (an internal mirror, in whatever spelling); other
  // loopback and private addresses stay refused.
  const app = await build(t, { config: { rssFeeds: feeds, feedAllowInternal: false, allowPrivateUrls: false, allowUrlCidrs: ['127.0.0.1/32'] } });
  const r = await app.scheduler.runNow('rss', (h) => pollRss(h, { timeoutMs: 5000 }));
  assert.ok(r.ran);
  const byUrl = Object.fromEntries(r.result.feeds.map((f) => [f.url, f.error?.code ?? f.status]));
  assert.deepEqual(byUrl, {
    [`${admitted}/feed.rss`]: 'ok',
    [`${admitted}/to-loopback.rss`]: 'blocked-address',
    [`${admitted}/to-metadata.rss`]: 'blocked-address',
    [`http://[::1]:${port}/feed.rss`]: 'blocked-address',
    [`http://127.0.0.3:${port}/feed.rss`]: 'blocked-address',
    'http://[::ffff:a9fe:a9fe]/feed.rss': 'blocked-address',
    'http://198.18.0.1/feed.rss': 'blocked-address',
    'http://224.0.0.1/feed.rss': 'blocked-address',
  });
  assert.deepEqual(hits.sort(), ['/feed.rss', '/to-loopback.rss', '/to-metadata.rss'], 'no refused hop was requested');
  assert.equal(r.result.run.status, 'partial');
  assert.equal(r.result.run.apiCalls, feeds.length, 'one attempt per feed');

  const runs = await app.inject(`/api/poll-runs/${r.result.run.id}`);
  assert.doesNotMatch(runs.body, /ECONN|other side closed|fetch failed|socket/i);
  const entries = (await app.inject('/api/doc-history?limit=100')).json() as { items: { link: string }[] };
  assert.ok(entries.items.length > 0, 'the admitted feed was read');
  const feedRows = (await app.inject('/api/feeds')).json() as { items: { url: string; lastStatus: string; lastError: string | null; entryCount: number }[] };
  for (const f of feedRows.items.filter((x) => x.url !== `${admitted}/feed.rss`)) {
    assert.equal(f.lastStatus, 'failed', f.url);
    assert.match(f.lastError ?? '', /^blocked-address: /, f.url);
    assert.equal(f.entryCount, 0, f.url);
  }
});
