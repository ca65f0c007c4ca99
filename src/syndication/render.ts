// Pure renderers for policywatch's own Atom 1.0 and RSS 2.0 output. All text is treated as
// untrusted (it includes AWS's reasons, which come from a third-party feed): it is stripped of
// characters XML 1.0 cannot carry, XML-escaped, and only ever emitted as plain text, never as
// markup. Links are emitted only when they are absolute http(s) URLs.

export interface SyndicationEntry {
  /** Event id; rendered as urn:policywatch:event:<id>. */
  id: string;
  title: string;
  link: string;
  updated: Date;
  /** Plain text: per-action summary and AWS's stated reason. */
  summaryText: string;
  categories?: string[];
}

export interface SyndicationFeed {
  /** Feed id; rendered as urn:policywatch:feed:<id>. */
  id: string;
  title: string;
  /** Absolute URL this feed is served at. */
  selfUrl: string;
  /** Human-facing page for the RSS channel link; defaults to selfUrl. */
  homeUrl?: string;
  updated: Date;
  entries: SyndicationEntry[];
}

export class SyndicationRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyndicationRenderError';
  }
}

const AUTHOR = 'policywatch';

// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** XML-escapes text for element content and double-quoted attributes. */
export function xmlEscape(s: string): string {
  return s
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function urnPart(id: string): string {
  // encodeURIComponent leaves ! ' ( ) * unescaped; they are legal in URN NSS, so ids stay readable.
  return encodeURIComponent(id.replace(INVALID_XML, ''));
}

function httpUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function validDate(d: Date): boolean {
  return d instanceof Date && Number.isFinite(d.getTime());
}

function checkFeed(feed: SyndicationFeed): { self: string; home: string } {
  const self = httpUrl(feed.selfUrl);
  if (self === null) throw new SyndicationRenderError(`selfUrl must be an absolute http(s) URL: ${JSON.stringify(feed.selfUrl)}`);
  const home = feed.homeUrl === undefined ? self : httpUrl(feed.homeUrl);
  if (home === null) throw new SyndicationRenderError(`homeUrl must be an absolute http(s) URL: ${JSON.stringify(feed.homeUrl)}`);
  if (!validDate(feed.updated)) throw new SyndicationRenderError('feed updated date is invalid');
  return { self, home };
}

/** An entry with an invalid date is shown at the feed's own date rather than dropped or crashing. */
function entryDate(e: SyndicationEntry, feed: SyndicationFeed): Date {
  return validDate(e.updated) ? e.updated : feed.updated;
}

/** Renders an Atom 1.0 document (RFC 4287). */
export function renderAtom(feed: SyndicationFeed): string {
  const { self, home } = checkFeed(feed);
  const out: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>urn:policywatch:feed:${urnPart(feed.id)}</id>`,
    `  <title type="text">${xmlEscape(feed.title)}</title>`,
    `  <updated>${feed.updated.toISOString()}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlEscape(self)}"/>`,
  ];
  if (home !== self) out.push(`  <link rel="alternate" type="text/html" href="${xmlEscape(home)}"/>`);
  out.push(`  <author><name>${AUTHOR}</name></author>`, `  <generator>${AUTHOR}</generator>`);
  for (const e of feed.entries) {
    const link = httpUrl(e.link);
    out.push(
      '  <entry>',
      `    <id>urn:policywatch:event:${urnPart(e.id)}</id>`,
      `    <title type="text">${xmlEscape(e.title)}</title>`,
      `    <updated>${entryDate(e, feed).toISOString()}</updated>`,
    );
    // Atom requires an alternate link or content; content is always present, so an unsafe link
    // is simply left out instead of invalidating the entry.
    if (link !== null) out.push(`    <link rel="alternate" type="text/html" href="${xmlEscape(link)}"/>`);
    for (const c of e.categories ?? []) out.push(`    <category term="${xmlEscape(c)}"/>`);
    out.push(
      `    <content type="text">${xmlEscape(e.summaryText)}</content>`,
      `    <author><name>${AUTHOR}</name></author>`,
      '  </entry>',
    );
  }
  out.push('</feed>', '');
  return out.join('\n');
}

function rfc822(d: Date): string {
  // toUTCString yields the RFC 1123 form ("Wed, 13 Nov 2024 21:51:39 GMT") RSS 2.0 asks for.
  return d.toUTCString();
}

/** RSS descriptions are HTML; escape the plain text as HTML first so readers show it verbatim. */
function textAsHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br/>');
}

/** Renders an RSS 2.0 document with an atom:link self reference. */
export function renderRss2(feed: SyndicationFeed): string {
  const { self, home } = checkFeed(feed);
  const out: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
    '  <channel>',
    `    <title>${xmlEscape(feed.title)}</title>`,
    `    <link>${xmlEscape(home)}</link>`,
    `    <description>${xmlEscape(feed.title)}</description>`,
    `    <atom:link href="${xmlEscape(self)}" rel="self" type="application/rss+xml"/>`,
    `    <lastBuildDate>${rfc822(feed.updated)}</lastBuildDate>`,
    `    <generator>${AUTHOR}</generator>`,
  ];
  for (const e of feed.entries) {
    const link = httpUrl(e.link);
    out.push('    <item>', `      <title>${xmlEscape(e.title)}</title>`);
    if (link !== null) out.push(`      <link>${xmlEscape(link)}</link>`);
    out.push(
      `      <description>${xmlEscape(textAsHtml(e.summaryText.replace(INVALID_XML, '')))}</description>`,
      `      <guid isPermaLink="false">urn:policywatch:event:${urnPart(e.id)}</guid>`,
      `      <pubDate>${rfc822(entryDate(e, feed))}</pubDate>`,
    );
    for (const c of e.categories ?? []) out.push(`      <category>${xmlEscape(c)}</category>`);
    out.push('    </item>');
  }
  out.push('  </channel>', '</rss>', '');
  return out.join('\n');
}
