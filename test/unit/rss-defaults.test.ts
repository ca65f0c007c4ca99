import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_FEEDS, feedsForService } from '../../src/sources/rss/defaults.ts';
import { parseFeed } from '../../src/sources/rss/parse.ts';

const corpus = new URL('../fixtures/rss/', import.meta.url);

test('default feeds are unique https URLs on docs.aws.amazon.com with service prefixes', () => {
  assert.equal(new Set(DEFAULT_FEEDS.map((f) => f.url)).size, DEFAULT_FEEDS.length);
  for (const f of DEFAULT_FEEDS) {
    const u = new URL(f.url);
    assert.equal(u.protocol, 'https:', f.url);
    assert.equal(u.hostname, 'docs.aws.amazon.com', f.url);
    assert.match(u.pathname, /\.rss$/, f.url);
    assert.ok(f.services.length > 0, f.url);
    for (const s of f.services) assert.match(s, /^(\*|[a-z0-9-]+)$/, `${f.url}: ${s}`);
  }
});

test('feeds marked self-link match the atom:link self of the real copies in the corpus', async () => {
  const selfLinks = await Promise.all(
    ['eks-userguide-doc-history.rss.excerpt.xml', 'organizations-release-notes.rss.excerpt.xml'].map(
      async (name) => (await parseFeed(readFileSync(new URL(name, corpus), 'utf8'), `file:${name}`)).selfUrl,
    ),
  );
  const marked = DEFAULT_FEEDS.filter((f) => f.evidence === 'self-link').map((f) => f.url);
  assert.deepEqual(marked.sort(), selfLinks.sort());
});

test('feedsForService finds the guide that documents a service', () => {
  assert.deepEqual(feedsForService('q').map((f) => f.url), ['https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/doc-history.rss']);
  assert.deepEqual(feedsForService('EKS').map((f) => f.url), ['https://docs.aws.amazon.com/eks/latest/userguide/doc-history.rss']);
  assert.deepEqual(feedsForService('polly'), []);
});
