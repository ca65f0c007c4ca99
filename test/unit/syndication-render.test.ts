import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import Parser from 'rss-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderAtom, renderRss2, SyndicationRenderError } from '../../src/syndication/render.ts';
import type { SyndicationFeed } from '../../src/syndication/render.ts';

const hostileTitle = 'AmazonQFullAccess <script>alert("x")</script> & "friends" \u0001\u0008';
const cleanTitle = 'AmazonQFullAccess <script>alert("x")</script> & "friends" ';
const hostileSummary = 'Added q:UsePlugin & iam:PassRole.\nAWS says: "Additional permissions have been added" <b>bold</b>\uFFFE';

function sample(): SyndicationFeed {
  return {
    id: 'all-events',
    title: 'policywatch: AWS managed policy changes & reasons',
    selfUrl: 'https://policywatch.example/feeds/events.atom?x=1&y=2',
    updated: new Date('2024-11-13T22:05:15Z'),
    entries: [
      {
        id: '42',
        title: hostileTitle,
        link: 'https://policywatch.example/policies/AmazonQFullAccess/v5?from=v4&to=v5',
        updated: new Date('2024-11-13T21:51:39Z'),
        summaryText: hostileSummary,
        categories: ['AmazonQFullAccess', 'added<&>'],
      },
      {
        id: 'evt/7 x',
        title: 'AmazonQDeveloperAccess v3',
        link: 'javascript:alert(1)',
        updated: new Date(Number.NaN),
        summaryText: 'Added q:UsePlugin.',
      },
    ],
  };
}

const rssParser = new Parser();

describe('renderAtom', () => {
  test('is well-formed and round-trips through a feed parser', async () => {
    const xml = renderAtom(sample());
    assert.equal(XMLValidator.validate(xml), true);
    const parsed = await rssParser.parseString(xml);
    assert.equal(parsed.title, 'policywatch: AWS managed policy changes & reasons');
    assert.equal(parsed.items.length, 2);
    const [first, second] = parsed.items;
    assert.equal(first?.id, 'urn:policywatch:event:42');
    assert.equal(first?.title, cleanTitle);
    assert.equal(first?.link, 'https://policywatch.example/policies/AmazonQFullAccess/v5?from=v4&to=v5');
    assert.equal(second?.id, 'urn:policywatch:event:evt%2F7%20x');
  });

  test('structure: feed metadata, one alternate link per safe entry, text content, authors', () => {
    const xml = renderAtom(sample());
    assert.doesNotMatch(xml, /<script/);
    for (const c of ['\u0001', '\u0008', '\uFFFE']) assert.ok(!xml.includes(c));
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ['entry', 'link', 'category'].includes(n) }).parse(xml);
    const feed = doc.feed;
    assert.equal(feed.id, 'urn:policywatch:feed:all-events');
    assert.equal(feed.updated, '2024-11-13T22:05:15.000Z');
    assert.deepEqual(feed.link, [{ '@_rel': 'self', '@_type': 'application/atom+xml', '@_href': 'https://policywatch.example/feeds/events.atom?x=1&y=2' }]);
    const [first, second] = feed.entry;
    assert.equal(first.link.length, 1);
    assert.equal(first.link[0]['@_rel'], 'alternate');
    assert.equal(first.content['@_type'], 'text');
    assert.equal(first.author.name, 'policywatch');
    assert.deepEqual(first.category.map((c: Record<string, string>) => c['@_term']), ['AmazonQFullAccess', 'added<&>']);
    // A javascript: link is never emitted; the entry stays valid through its content.
    assert.equal(second.link, undefined);
    assert.equal(second.content['#text'], 'Added q:UsePlugin.');
    // An invalid entry date falls back to the feed date instead of throwing.
    assert.equal(second.updated, '2024-11-13T22:05:15.000Z');
  });
});

describe('renderRss2', () => {
  test('is well-formed and round-trips: guid, link, escaped title and description as text', async () => {
    const xml = renderRss2(sample());
    assert.equal(XMLValidator.validate(xml), true);
    assert.doesNotMatch(xml, /<script/);
    const parsed = await rssParser.parseString(xml);
    assert.equal(parsed.link, 'https://policywatch.example/feeds/events.atom?x=1&y=2');
    const [first, second] = parsed.items;
    assert.equal(first?.guid, 'urn:policywatch:event:42');
    assert.equal(first?.title, cleanTitle);
    assert.equal(first?.link, 'https://policywatch.example/policies/AmazonQFullAccess/v5?from=v4&to=v5');
    // The description is HTML whose rendering is exactly the plain text: markup in it is escaped.
    assert.equal(first?.content, 'Added q:UsePlugin &amp; iam:PassRole.<br/>AWS says: "Additional permissions have been added" &lt;b&gt;bold&lt;/b&gt;');
    assert.equal(first?.pubDate, 'Wed, 13 Nov 2024 21:51:39 GMT');
    assert.deepEqual(first?.categories, ['AmazonQFullAccess', 'added<&>']);
    assert.equal(second?.link, undefined);
    assert.equal(second?.pubDate, 'Wed, 13 Nov 2024 22:05:15 GMT');
  });
});

describe('invalid feed-level input', () => {
  test('non-http self URL and invalid feed date are typed errors', () => {
    assert.throws(() => renderAtom({ ...sample(), selfUrl: 'javascript:alert(1)' }), SyndicationRenderError);
    assert.throws(() => renderRss2({ ...sample(), updated: new Date('nope') }), SyndicationRenderError);
  });

  test('an empty feed is still valid', async () => {
    const feed = { ...sample(), entries: [] };
    for (const xml of [renderAtom(feed), renderRss2(feed)]) {
      assert.equal(XMLValidator.validate(xml), true);
      assert.equal((await rssParser.parseString(xml)).items.length, 0);
    }
  });
});
