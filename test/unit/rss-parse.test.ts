import { test, describe, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import Parser from 'rss-parser';
import { parseFeed, FeedParseError, MAX_PROBLEMS } from '../../src/sources/rss/parse.ts';
import { parseFeedDate } from '../../src/sources/rss/dates.ts';
import { readFeedXml } from '../../src/sources/rss/reader.ts';
import { htmlToText } from '../../src/sources/rss/text.ts';

const corpus = new URL('../fixtures/rss/', import.meta.url);
const fixtures = new URL('../fixtures/rss/', import.meta.url);
const read = (base: URL, name: string): string => readFileSync(new URL(name, base), 'utf8');

const EKS_URL = 'https://docs.aws.amazon.com/eks/latest/userguide/doc-history.rss';
const ORGS_URL = 'https://docs.aws.amazon.com/organizations/latest/userguide/aws-organizations-release-notes.rss';
const POLLY_URL = 'https://docs.aws.amazon.com/polly/latest/dg/doc-history.rss';
const Q_URL = 'https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/doc-history.rss';

function rss(items: string, channelExtra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://docs.aws.amazon.com/x/</link><description/>${channelExtra}${items}</channel></rss>`;
}

function item(fields: { title?: string; link?: string; description?: string; pubDate?: string; guid?: string }): string {
  const f = (tag: string, v: string | undefined): string => (v === undefined ? '' : `<${tag}>${v}</${tag}>`);
  return `<item>${f('title', fields.title)}${f('link', fields.link)}${f('description', fields.description)}${f('pubDate', fields.pubDate)}${fields.guid === undefined ? '' : `<guid isPermaLink="false">${fields.guid}</guid>`}</item>`;
}

async function parseError(fn: () => Promise<unknown>): Promise<FeedParseError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof FeedParseError, `expected FeedParseError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected parseFeed to throw');
}

describe('real AWS feeds (corpus copies in test/fixtures/rss)', () => {
  test('EKS excerpt: channel, self link, items, decoded HTML description', async () => {
    const feed = await parseFeed(read(corpus, 'eks-userguide-doc-history.rss.excerpt.xml'), EKS_URL);
    assert.equal(feed.title, 'Amazon EKS Document History');
    assert.equal(feed.link, 'https://docs.aws.amazon.com/eks/latest/userguide/');
    assert.equal(feed.selfUrl, EKS_URL);
    assert.equal(feed.lastBuildDate?.toISOString(), '2025-10-13T00:22:00.000Z');
    assert.equal(feed.items.length, 12);
    assert.deepEqual(feed.problems, []);
    const policyItem = feed.items.find((i) => i.guid.endsWith('#AWS_managed_policy_updates_2025-06-20'));
    assert.ok(policyItem);
    assert.equal(policyItem.link, 'https://docs.aws.amazon.com/eks/latest/userguide/security-iam-awsmanpol.html');
    assert.match(policyItem.descriptionHtml, /^Added permissions to <code class="code">AmazonEKSServiceRolePolicy<\/code> and/);
    assert.match(policyItem.descriptionText, /^Added permissions to AmazonEKSServiceRolePolicy and AmazonEKSComputePolicy to allow/);
    assert.equal(policyItem.publishedAt?.toISOString(), '2025-06-20T19:00:00.000Z');
    assert.equal(policyItem.rawPubDate, 'Fri, 20 Jun 2025 19:00:00 GMT');
    assert.equal(policyItem.dateProblem, undefined);
    assert.match(policyItem.identity, /^[0-9a-f]{64}$/);
    // "Kubernetes version 1.34" must stay a string, not become the number 1.34.
    assert.equal(feed.items[0]?.title, 'Kubernetes version 1.34');
  });

  test('Organizations excerpt: wrapped titles are collapsed, the guid keeps its raw form', async () => {
    const feed = await parseFeed(read(corpus, 'organizations-release-notes.rss.excerpt.xml'), ORGS_URL);
    assert.equal(feed.items.length, 6);
    const first = feed.items[0];
    assert.ok(first);
    assert.equal(first.title, 'Updated the AWSOrganizationsFullAccess and AWSOrganizationsReadOnlyAccess managed policies');
    assert.ok(first.guid.includes('\n____________________managed_policies_2022-10-21'));
    assert.equal(first.descriptionText, 'Both managed policies were updated to enable write or read access to contacts for accounts.');
    for (const i of feed.items) assert.doesNotMatch(i.title, /\s{2,}|\n/);
  });

  test('Polly: duplicate GUIDs with identical title and date get distinct identities', async () => {
    const feed = await parseFeed(read(corpus, 'polly-dg-doc-history.rss.xml'), POLLY_URL);
    assert.equal(feed.items.length, 17);
    // Polly has no atom:link self, and its lastBuildDate is the odd "7:32:16 Z" form.
    assert.equal(feed.selfUrl, undefined);
    assert.equal(feed.lastBuildDate?.toISOString(), '2020-06-12T07:32:16.000Z');
    const dupes = feed.items.filter((i) => i.guid.endsWith('#New_Language_Added_2018-08-02'));
    assert.equal(dupes.length, 2);
    assert.equal(dupes[0]?.title, dupes[1]?.title);
    assert.equal(dupes[0]?.rawPubDate, dupes[1]?.rawPubDate);
    assert.notEqual(dupes[0]?.identity, dupes[1]?.identity);
    assert.equal(new Set(feed.items.map((i) => i.identity)).size, 17);
    assert.equal(feed.problems.length, 1);
    assert.match(feed.problems[0] ?? '', /2 entries share guid/);
  });

  test('identity is stable across parses and depends on the feed URL', async () => {
    const xml = read(corpus, 'eks-userguide-doc-history.rss.excerpt.xml');
    const a = (await parseFeed(xml, EKS_URL)).items.map((i) => i.identity);
    const b = (await parseFeed(xml, EKS_URL)).items.map((i) => i.identity);
    const c = (await parseFeed(xml, 'https://mirror.example/eks.rss')).items.map((i) => i.identity);
    assert.deepEqual(a, b);
    assert.notEqual(a[0], c[0]);
  });

  test('identity does not change when only the description is reworded', async () => {
    const one = (desc: string) => parseFeed(rss(item({ title: 'X', guid: 'g', pubDate: 'Thu, 2 Oct 2025 19:00:00 GMT', description: desc })), Q_URL);
    assert.equal((await one('first wording')).items[0]?.identity, (await one('second wording')).items[0]?.identity);
  });
});

describe('fixture: Amazon Q Developer document history', () => {
  test('parses with the seed table rows', async () => {
    const feed = await parseFeed(read(fixtures, 'amazonq-doc-history.rss.xml'), Q_URL);
    assert.deepEqual(feed.problems, []);
    assert.equal(feed.selfUrl, Q_URL);
    assert.equal(feed.items.length, 11);
    const nov13 = feed.items.filter((i) => i.publishedAt?.toISOString() === '2024-11-13T19:00:00.000Z');
    assert.deepEqual(nov13.map((i) => i.title), ['AmazonQDeveloperAccess - Updated policy', 'AmazonQFullAccess - Updated policy']);
    assert.equal(nov13[1]?.descriptionHtml.startsWith('<code class="code">AmazonQFullAccess</code>:'), true);
    assert.equal(nov13[1]?.guid, 'https://docs.aws.amazon.com/amazonq/latest/qdeveloper-ug/#AmazonQFullAccess_-_Updated_policy_2024-11-13');
    assert.equal(new Set(feed.items.map((i) => i.identity)).size, 11);
  });
});

describe('hostile and broken input', () => {
  test('billion laughs is rejected before parsing', async () => {
    const lol = ['<!ENTITY lol "lol">'];
    for (let n = 1; n <= 9; n++) lol.push(`<!ENTITY lol${n} "${`&lol${n === 1 ? '' : n - 1};`.repeat(10)}">`);
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [${lol.join('')}]><rss version="2.0"><channel><title>&lol9;</title></channel></rss>`;
    const err = await parseError(() => parseFeed(xml, Q_URL));
    assert.equal(err.code, 'dtd_rejected');
    assert.match(err.message, /entit/i);
  });

  test('external-entity (XXE) declarations and internal subsets are rejected', async () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><title>&xxe;</title></channel></rss>`;
    assert.equal((await parseError(() => parseFeed(xxe, Q_URL))).code, 'dtd_rejected');
    const subset = `<?xml version="1.0"?><!DOCTYPE rss [<!ELEMENT rss ANY>]><rss><channel><title>x</title></channel></rss>`;
    assert.equal((await parseError(() => parseFeed(subset, Q_URL))).code, 'dtd_rejected');
  });

  test('a plain public DOCTYPE (RSS 0.91 style) is accepted', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">${rss('').replace(/^<\?xml[^>]*>/, '')}`;
    assert.equal((await parseFeed(xml, Q_URL)).title, 'T');
  });

  test('size cap is enforced before parsing', async () => {
    const xml = rss(item({ title: 'x', description: 'y'.repeat(2000) }));
    assert.equal((await parseError(() => parseFeed(xml, Q_URL, { maxBytes: 1000 }))).code, 'too_large');
    // Multi-byte characters count as bytes, not UTF-16 units.
    const wide = rss(item({ title: '\u20ac'.repeat(400) }));
    assert.ok(wide.length < 1000);
    assert.equal((await parseError(() => parseFeed(wide, Q_URL, { maxBytes: 1000 }))).code, 'too_large');
  });

  test('malformed XML, empty input and non-RSS roots give typed errors', async () => {
    assert.equal((await parseError(() => parseFeed('<rss><channel></rss>', Q_URL))).code, 'malformed_xml');
    assert.equal((await parseError(() => parseFeed('', Q_URL))).code, 'malformed_xml');
    assert.equal((await parseError(() => parseFeed('<html><body>Not found</body></html>', Q_URL))).code, 'not_rss');
    // Atom is read now (issue 14); a <feed> root outside the Atom namespace is still not a feed.
    const atom = await parseError(() => parseFeed('<feed xmlns="http://example.com/not-atom"><title>x</title></feed>', Q_URL));
    assert.equal(atom.code, 'not_rss');
    assert.match(atom.message, /<feed>/);
    assert.equal((await parseError(() => parseFeed('<rss version="2.0"></rss>', Q_URL))).code, 'not_rss');
  });

  test('broken dates keep the item with dateProblem and a feed problem', async () => {
    const xml = rss(
      item({ title: 'Good', guid: 'a', pubDate: 'Thu, 2 Oct 2025 19:00:00 GMT' }) +
        item({ title: 'Garbage', guid: 'b', pubDate: 'sometime last week' }) +
        item({ title: 'Impossible', guid: 'c', pubDate: 'Sat, 31 Feb 2024 19:00:00 GMT' }) +
        item({ title: 'Missing', guid: 'd' }),
      '<lastBuildDate>yesterday</lastBuildDate>',
    );
    const feed = await parseFeed(xml, Q_URL);
    assert.equal(feed.items.length, 4);
    const [good, garbage, impossible, missing] = feed.items;
    assert.equal(good?.publishedAt?.toISOString(), '2025-10-02T19:00:00.000Z');
    assert.equal(good?.dateProblem, undefined);
    assert.equal(garbage?.publishedAt, null);
    assert.equal(garbage?.rawPubDate, 'sometime last week');
    assert.match(garbage?.dateProblem ?? '', /unparseable pubDate/);
    assert.equal(impossible?.publishedAt, null);
    assert.match(impossible?.dateProblem ?? '', /unparseable/);
    assert.equal(missing?.dateProblem, 'missing pubDate');
    assert.equal(feed.lastBuildDate, undefined);
    assert.equal(feed.problems.filter((p) => /pubDate/.test(p)).length, 3);
    assert.ok(feed.problems.some((p) => /lastBuildDate/.test(p)));
  });

  test('descriptionText never contains markup, even when the feed escapes a script twice', async () => {
    const desc =
      '&lt;script&gt;alert(1)&lt;/script&gt;Policy &lt;code class="code"&gt;A&amp;amp;B&lt;/code&gt; ' +
      '&amp;lt;script&amp;gt;alert(2)&amp;lt;/script&amp;gt; &lt;SCRIPT src=x&gt; tail';
    const feed = await parseFeed(rss(item({ title: 'x', guid: 'g', description: desc })), Q_URL);
    const it = feed.items[0];
    assert.ok(it);
    assert.ok(it.descriptionHtml.includes('<script>alert(1)</script>'), 'descriptionHtml is the once-decoded HTML');
    assert.doesNotMatch(it.descriptionText, /<script/i);
    assert.doesNotMatch(it.descriptionText, /alert\(1\)/);
    assert.match(it.descriptionText, /^Policy A&B /);
  });

  test('htmlToText output never contains a tag opener, for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '&', 'lt;', 'gt;', 'amp;', '#60;', 'script', '/', ' ', 'a', '!', '-') }), (s) => {
        assert.doesNotMatch(htmlToText(s), /<[A-Za-z/!?]/);
      }),
    );
  });

  test('unsafe and relative links; CDATA, numeric references and control characters', async () => {
    const xml = rss(
      item({ title: 'js', guid: '1', link: 'javascript:alert(1)', pubDate: 'Thu, 2 Oct 2025 19:00:00 GMT' }) +
        item({ title: 'rel', guid: '2', link: 'security-iam-awsmanpol.html', pubDate: 'Thu, 2 Oct 2025 19:00:00 GMT' }) +
        item({ title: 'Caf&#233; &#x2013; ok\u0001', guid: '3', link: 'https://a.example/', description: '<![CDATA[<b>x &amp; y</b>]]>', pubDate: '2024-11-13T21:51:39Z' }),
    );
    const feed = await parseFeed(xml, Q_URL);
    const [js, rel, misc] = feed.items;
    assert.equal(js?.link, null);
    assert.ok(feed.problems.some((p) => p.includes('"js"') && p.includes('not an http(s) URL')));
    assert.equal(rel?.link, 'https://docs.aws.amazon.com/x/security-iam-awsmanpol.html');
    assert.equal(misc?.title, 'Caf\u00e9 \u2013 ok');
    // CDATA is literal: "&amp;" inside it is HTML, decoded only when producing text.
    assert.equal(misc?.descriptionHtml, '<b>x &amp; y</b>');
    assert.equal(misc?.descriptionText, 'x & y');
    assert.equal(misc?.publishedAt?.toISOString(), '2024-11-13T21:51:39.000Z');
  });

  test('verbatim duplicate entries still get distinct identities', async () => {
    const same = item({ title: 'Same', guid: 'g', link: 'https://a.example/', description: 'd', pubDate: 'Thu, 2 Oct 2025 19:00:00 GMT' });
    const feed = await parseFeed(rss(same + same + same), Q_URL);
    assert.equal(new Set(feed.items.map((i) => i.identity)).size, 3);
    assert.equal(feed.problems.length, 2);
  });

  test('the problem list is bounded', async () => {
    const feed = await parseFeed(rss(item({ title: 'x' }).repeat(150)), Q_URL);
    assert.equal(feed.items.length, 150);
    assert.equal(feed.problems.length, MAX_PROBLEMS + 1);
    assert.match(feed.problems[MAX_PROBLEMS] ?? '', /^\.\.\. and \d+ more problems$/);
  });

  test('an item without guid falls back to its link and is recorded', async () => {
    const feed = await parseFeed(rss(item({ title: 'x', link: 'https://a.example/p', pubDate: 'Thu, 2 Oct 2025 19:00:00 GMT' })), Q_URL);
    assert.equal(feed.items[0]?.guid, 'https://a.example/p');
    assert.ok(feed.problems.some((p) => /no guid/.test(p)));
  });
});

describe('what the reader sees on its way through the document', () => {
  test('the channel self link may come under any prefix; an item\'s link is not the channel\'s', async () => {
    const feed = await parseFeed(
      rss(item({ title: 'x', guid: 'g' }).replace('</item>', '<atom:link rel="self" href="https://item.example/"/></item>'), '<a10:link rel="alternate" href="https://alt.example/"/><a10:link rel="self" href="https://self.example/feed.rss"/>'),
      Q_URL,
    );
    assert.equal(feed.selfUrl, 'https://self.example/feed.rss');
    const none = await parseFeed(rss(item({ title: 'x', guid: 'g' }).replace('</item>', '<atom:link rel="self" href="https://item.example/"/></item>')), Q_URL);
    assert.equal(none.selfUrl, undefined);
  });

  test('a second <channel> is counted and left unread', async () => {
    const xml = rss(item({ title: 'first', guid: 'a' })).replace('</rss>', '<channel><title>Other</title><item><title>second</title></item></channel></rss>');
    const feed = await parseFeed(xml, Q_URL);
    assert.deepEqual(feed.items.map((i) => i.title), ['first']);
    assert.ok(feed.problems.includes('feed has 2 <channel> elements; only the first is read'));
  });

  test('a document that is not a feed is refused at its root, even when it is cut short', async () => {
    const err = await parseError(() => parseFeed('<html><body>Service Unavailable</body', Q_URL));
    assert.equal(err.code, 'not_rss');
    assert.match(err.message, /found <html>/);
    assert.equal((await parseError(() => parseFeed('<rss/>', Q_URL))).code, 'not_rss');
    assert.equal((await parseError(() => parseFeed('<rss version="2.0"><wrapper><channel><title>x</title></channel></wrapper></rss>', Q_URL))).code, 'not_rss');
  });
});

describe('guards run before the XML parser', () => {
  const lol = ['<!ENTITY lol "lol">'];
  for (let n = 1; n <= 9; n++) lol.push(`<!ENTITY lol${n} "${`&lol${n === 1 ? '' : n - 1};`.repeat(10)}">`);
  const billionLaughs = `<?xml version="1.0"?><!DOCTYPE rss [${lol.join('')}]><rss version="2.0"><channel><title>&lol9;</title></channel></rss>`;

  /** Replaces rss-parser's parseString with one that fails the test if reached; restored after fn. */
  async function withParserForbidden(fn: (calls: () => number) => Promise<void>): Promise<void> {
    const spy = mock.method(Parser.prototype, 'parseString', () => {
      throw new Error('the XML parser was called');
    });
    try {
      await fn(() => spy.mock.callCount());
    } finally {
      spy.mock.restore();
    }
  }

  test('the spy is on the path parseFeed takes (so a zero call count below means something)', async () => {
    await withParserForbidden(async (calls) => {
      const err = await parseError(() => parseFeed(rss(item({ title: 'x', guid: 'g' })), Q_URL));
      assert.equal(calls(), 1);
      assert.match(err.message, /the XML parser was called/);
    });
  });

  test('a DTD declaring an entity is refused with dtd_rejected and never reaches the parser', async () => {
    await withParserForbidden(async (calls) => {
      const declared = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY product "Amazon EKS">]><rss version="2.0"><channel><title>&product;</title></channel></rss>`;
      const err = await parseError(() => parseFeed(declared, Q_URL));
      assert.equal(err.code, 'dtd_rejected');
      assert.match(err.message, /entit/i);
      assert.equal((await parseError(() => parseFeed(billionLaughs, Q_URL))).code, 'dtd_rejected');
      // A control character cannot hide the declaration: the check reads the stripped text.
      assert.equal((await parseError(() => parseFeed(declared.replace('<!DOCTYPE', '<!DOC\u0001TYPE'), Q_URL))).code, 'dtd_rejected');
      assert.equal(calls(), 0);
    });
  });

  test('a 50 MB document is refused with too_large and never reaches the parser', async () => {
    await withParserForbidden(async (calls) => {
      const big = rss(item({ title: 'x', description: 'y'.repeat(50 * 1024 * 1024) }));
      assert.equal((await parseError(() => parseFeed(big, Q_URL))).code, 'too_large');
      assert.equal(calls(), 0);
    });
  });

  test('behind the guard, rss-parser (xml2js/sax) still expands no DTD entity', async () => {
    // Defence in depth, reading with the guards bypassed: sax does not expand declared entities,
    // so the reference is an unknown entity and the document fails instead of growing.
    const err = await readFeedXml(billionLaughs).then(
      () => assert.fail('expected the reader to refuse'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FeedParseError);
    assert.equal(err.code, 'malformed_xml');
    assert.doesNotMatch(err.message, /lollol/);
    const xxe = `<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&xxe;</title></channel></rss>`;
    await assert.rejects(readFeedXml(xxe), (e: unknown) => e instanceof FeedParseError && e.code === 'malformed_xml' && !/root:/.test(e.message));
  });
});

describe('Atom', () => {
  const atom = (entries: string): string => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example guide history</title>
  <subtitle>Updates to the &lt;b&gt;guide&lt;/b&gt;</subtitle>
  <link rel="alternate" href="https://docs.example.com/guide/"/>
  <link rel="self" href="https://docs.example.com/guide/history.atom"/>
  <id>urn:example:guide</id>
  <updated>2025-10-02T19:00:00Z</updated>
  ${entries}
</feed>`;

  test('channel and entries map onto the same fields as RSS', async () => {
    const feed = await parseFeed(
      atom(`<entry><id>urn:example:1</id><title>AmazonQFullAccess - Updated policy</title>
        <link rel="alternate" href="managed-policy.html"/>
        <published>2024-11-13T19:00:00Z</published><updated>2024-11-14T19:00:00Z</updated>
        <summary type="html">&lt;code class="code"&gt;AmazonQFullAccess&lt;/code&gt;: added permissions.</summary></entry>`),
      'https://docs.example.com/guide/history.atom',
    );
    assert.equal(feed.title, 'Example guide history');
    assert.equal(feed.link, 'https://docs.example.com/guide/');
    assert.equal(feed.selfUrl, 'https://docs.example.com/guide/history.atom');
    assert.equal(feed.description, 'Updates to the guide');
    assert.equal(feed.lastBuildDate?.toISOString(), '2025-10-02T19:00:00.000Z');
    assert.deepEqual(feed.problems, []);
    const [entry] = feed.items;
    assert.equal(entry?.guid, 'urn:example:1');
    assert.equal(entry?.link, 'https://docs.example.com/guide/managed-policy.html');
    assert.equal(entry?.descriptionHtml, '<code class="code">AmazonQFullAccess</code>: added permissions.');
    assert.equal(entry?.descriptionText, 'AmazonQFullAccess: added permissions.');
    assert.equal(entry?.rawPubDate, '2024-11-13T19:00:00Z');
    assert.equal(entry?.publishedAt?.toISOString(), '2024-11-13T19:00:00.000Z');
  });

  test('a broken date is a per-entry problem, not a lost feed', async () => {
    const feed = await parseFeed(
      atom(`<entry><id>a</id><title>Good</title><link href="https://a.example/"/><updated>2024-11-13T19:00:00Z</updated></entry>
        <entry><id>b</id><title>Bad</title><link href="https://a.example/"/><published>sometime last week</published></entry>`),
      'https://docs.example.com/guide/history.atom',
    );
    assert.equal(feed.items.length, 2);
    assert.equal(feed.items[0]?.publishedAt?.toISOString(), '2024-11-13T19:00:00.000Z');
    assert.equal(feed.items[1]?.publishedAt, null);
    assert.match(feed.items[1]?.dateProblem ?? '', /unparseable pubDate/);
  });

  test('a link without attributes is a per-entry problem, not a lost feed', async () => {
    const feed = await parseFeed(
      atom(`<entry><id>a</id><title>Text link</title><link>https://a.example/</link><updated>2024-11-13T19:00:00Z</updated></entry>
        <entry><id>b</id><title>Good</title><link href="https://b.example/"/><updated>2024-11-13T19:00:00Z</updated></entry>`),
      'https://docs.example.com/guide/history.atom',
    );
    assert.deepEqual(feed.items.map((i) => i.link), [null, 'https://b.example/']);
    assert.ok(feed.problems.some((p) => p === 'item "Text link" has no link'));
  });
});

describe('parseFeedDate', () => {
  test('accepts RFC 822 forms AWS and others emit', () => {
    assert.equal(parseFeedDate('Thu, 2 Oct 2025 19:00:00 GMT')?.toISOString(), '2025-10-02T19:00:00.000Z');
    assert.equal(parseFeedDate('Fri, 12 Jun 2020 7:32:16 Z')?.toISOString(), '2020-06-12T07:32:16.000Z');
    assert.equal(parseFeedDate('2 Oct 2025 19:00 +0200')?.toISOString(), '2025-10-02T17:00:00.000Z');
    assert.equal(parseFeedDate('Mon, 01 Jan 24 00:00:00 EST')?.toISOString(), '2024-01-01T05:00:00.000Z');
    assert.equal(parseFeedDate('2024-07-09')?.toISOString(), '2024-07-09T00:00:00.000Z');
    assert.equal(parseFeedDate('2024-04-29T17:02:36+00:00')?.toISOString(), '2024-04-29T17:02:36.000Z');
  });

  test('rejects what Date.parse would guess at', () => {
    for (const s of ['2020', 'foo 12', 'Thu, 2 Oct 2025', 'Thu, 32 Oct 2025 19:00:00 GMT', '29 Feb 2023 10:00:00 GMT', 'Thu, 2 Oct 2025 25:00:00 GMT', 'Thu, 2 Oct 2025 19:00:00 A', '2024-07-09T10:00', '']) {
      assert.equal(parseFeedDate(s), null, s);
    }
    assert.equal(parseFeedDate('29 Feb 2024 10:00:00 GMT')?.toISOString(), '2024-02-29T10:00:00.000Z');
  });
});
