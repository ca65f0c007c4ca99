// Pure parsing of AWS documentation-history RSS feeds (no IO). Whole-document failures throw a
// typed FeedParseError; per-item trouble (bad date, unsafe link, missing guid) is recorded in
// `problems` and the item is kept, so one bad entry never costs the others.
// fast-xml-parser rather than rss-parser: it is synchronous and its own entity handling can be
// switched off, so no DTD entity can ever expand (rss-parser goes through xml2js/sax); rss-parser
// stays as the independent reader our tests parse our own Atom/RSS output back with.
import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { parseFeedDate } from './dates.ts';
import { collapseWhitespace, decodeXmlEntities, htmlToText, stripInvalidXmlChars } from './text.ts';

/** Large enough for the biggest AWS history feeds (EKS is ~170 KB), small enough to bound memory. */
export const DEFAULT_MAX_FEED_BYTES = 5 * 1024 * 1024;

/** Problems kept per parsed feed; the rest are summarised in one final line. */
export const MAX_PROBLEMS = 100;

export type FeedParseErrorCode = 'too_large' | 'dtd_rejected' | 'malformed_xml' | 'not_rss';

export class FeedParseError extends Error {
  readonly code: FeedParseErrorCode;
  constructor(code: FeedParseErrorCode, message: string) {
    super(message);
    this.name = 'FeedParseError';
    this.code = code;
  }
}

export interface FeedItem {
  /** guid as carried (trimmed; AWS GUIDs may contain the newline + indentation of a wrapped title). */
  guid: string;
  /** Title with every whitespace run collapsed to one space. */
  title: string;
  /** Absolute http(s) link, or null when missing or unsafe (a problem is recorded). */
  link: string | null;
  /** Description with XML escaping removed once: the HTML AWS wrote, e.g. `<code class="code">X</code>`. Untrusted. */
  descriptionHtml: string;
  /** Tags stripped, entities decoded, whitespace collapsed; never contains markup. */
  descriptionText: string;
  publishedAt: Date | null;
  rawPubDate: string;
  dateProblem?: string;
  /** Stable SHA-256 hex identity of this entry within its feed (see computeIdentity). */
  identity: string;
}

export interface ParsedFeed {
  title: string;
  link: string | null;
  /** `atom:link rel="self"` when the feed declares one. */
  selfUrl?: string;
  description: string;
  lastBuildDate?: Date;
  items: FeedItem[];
  problems: string[];
}

export interface ParseFeedOptions {
  maxBytes?: number;
}

type XmlNode = unknown;

const CDATA = '__cdata';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Keep every value a string: "1.34" must not become a number.
  parseTagValue: false,
  parseAttributeValue: false,
  // Entities are decoded by decodeXmlEntities (one pass, standard entities only). With the library's
  // own processing off, no DTD-declared entity can ever be expanded, even if the pre-check missed one.
  processEntities: false,
  htmlEntities: false,
  cdataPropName: CDATA,
  trimValues: true,
  isArray: (_name: string, jPath: unknown) => jPath === 'rss.channel.item',
});

/**
 * Rejects DTDs that could define entities, before any parsing. RSS never needs an internal DTD
 * subset; refusing it outright is simpler and safer than bounding entity expansion.
 */
function rejectDangerousDtd(xml: string): void {
  const doctype = /<!DOCTYPE/i.exec(xml);
  if (!doctype) return;
  if (/<!ENTITY/i.test(xml)) {
    throw new FeedParseError('dtd_rejected', 'document declares XML entities in a DOCTYPE; refusing to parse (entity-expansion attack protection)');
  }
  const end = xml.indexOf('>', doctype.index);
  const decl = xml.slice(doctype.index, end === -1 ? undefined : end);
  if (decl.includes('[')) {
    throw new FeedParseError('dtd_rejected', 'document has an internal DTD subset; refusing to parse');
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text content of an element (text + CDATA), XML-decoded once. Child elements are ignored. */
function textOf(node: XmlNode): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return decodeXmlEntities(node);
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (Array.isArray(node)) return textOf(node[0]);
  if (isRecord(node)) {
    const text = node['#text'];
    const cdata = node[CDATA];
    const parts: string[] = [];
    if (typeof text === 'string') parts.push(decodeXmlEntities(text));
    // CDATA content is literal: no entity decoding.
    if (typeof cdata === 'string') parts.push(cdata);
    else if (Array.isArray(cdata)) for (const c of cdata) if (typeof c === 'string') parts.push(c);
    return parts.join('');
  }
  return undefined;
}

function attrOf(node: XmlNode, name: string): string | undefined {
  if (!isRecord(node)) return undefined;
  const v = node[`@_${name}`];
  return typeof v === 'string' ? decodeXmlEntities(v) : undefined;
}

/** Resolves a link against a base and keeps it only if it is http(s). */
function safeHttpUrl(raw: string, base: string | undefined): string | null {
  if (raw === '') return null;
  try {
    const u = base === undefined ? new URL(raw) : new URL(raw, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function findSelfLink(channel: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(channel)) {
    if (!key.endsWith(':link')) continue;
    for (const l of Array.isArray(value) ? value : [value]) {
      const href = attrOf(l, 'href');
      if (attrOf(l, 'rel') === 'self' && href !== undefined) return href;
    }
  }
  return undefined;
}

/** SHA-256 over an unambiguous (JSON array) encoding of the parts. */
function sha256Of(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Identity of an entry = SHA-256(feed URL, guid, title, raw pubDate). AWS GUIDs alone are not
 * unique (Polly has two "#New_Language_Added_2018-08-02" items with identical titles and dates),
 * so entries whose four fields collide within one feed also hash their description text; exact
 * duplicates additionally get their occurrence number. Non-colliding entries keep the plain
 * four-field identity, so it stays stable when AWS rewords a description.
 */
function assignIdentities(feedUrl: string, drafts: Omit<FeedItem, 'identity'>[], problems: string[]): FeedItem[] {
  const baseKeys = drafts.map((d) => sha256Of([feedUrl, d.guid, d.title, d.rawPubDate]));
  const counts = new Map<string, number>();
  for (const k of baseKeys) counts.set(k, (counts.get(k) ?? 0) + 1);
  const seen = new Map<string, number>();
  const reported = new Set<string>();
  return drafts.map((d, i) => {
    const base = baseKeys[i] as string;
    const count = counts.get(base) ?? 0;
    if (count < 2) return { ...d, identity: base };
    if (!reported.has(base)) {
      reported.add(base);
      problems.push(`${count} entries share guid "${d.guid}", title and date; told apart by description`);
    }
    const withText = sha256Of([feedUrl, d.guid, d.title, d.rawPubDate, d.descriptionText]);
    const n = (seen.get(withText) ?? 0) + 1;
    seen.set(withText, n);
    if (n === 1) return { ...d, identity: withText };
    if (n === 2) problems.push(`entry "${d.title.slice(0, 120)}" (guid "${d.guid}") appears more than once verbatim; repeats are numbered`);
    return { ...d, identity: sha256Of([feedUrl, d.guid, d.title, d.rawPubDate, d.descriptionText, String(n)]) };
  });
}

function describeItem(title: string, index: number): string {
  return title === '' ? `item #${index + 1}` : `item "${title.slice(0, 120)}"`;
}

/** Parses one RSS 2.0 document. Throws FeedParseError if the document as a whole is unusable. */
export function parseFeed(xml: string, feedUrl: string, opts: ParseFeedOptions = {}): ParsedFeed {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FEED_BYTES;
  // xml.length counts UTF-16 units, never more than the UTF-8 byte count, so the cheap test is safe.
  if (xml.length > maxBytes || Buffer.byteLength(xml, 'utf8') > maxBytes) {
    throw new FeedParseError('too_large', `feed document exceeds ${maxBytes} bytes`);
  }
  const source = xml.replace(/^\uFEFF/, '').trimStart();
  rejectDangerousDtd(source);

  let doc: unknown;
  try {
    doc = parser.parse(source, true);
  } catch (err) {
    throw new FeedParseError('malformed_xml', `feed is not well-formed XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isRecord(doc)) throw new FeedParseError('malformed_xml', 'feed has no root element');
  const rss = doc['rss'];
  if (!isRecord(rss)) {
    const root = Object.keys(doc).find((k) => !k.startsWith('?')) ?? '(none)';
    throw new FeedParseError('not_rss', `expected an RSS 2.0 <rss> root element, found <${root}>`);
  }
  const problems: string[] = [];
  let channel = rss['channel'];
  if (Array.isArray(channel)) {
    problems.push(`feed has ${channel.length} <channel> elements; only the first is read`);
    channel = channel[0];
  }
  if (!isRecord(channel)) throw new FeedParseError('not_rss', 'RSS document has no <channel>');

  const title = collapseWhitespace(stripInvalidXmlChars(textOf(channel['title']) ?? ''));
  if (title === '') problems.push('channel has no title');
  const rawChannelLink = collapseWhitespace(textOf(channel['link']) ?? '');
  const link = safeHttpUrl(rawChannelLink, feedUrl);
  if (rawChannelLink !== '' && link === null) problems.push(`channel link is not an http(s) URL: ${JSON.stringify(rawChannelLink.slice(0, 200))}`);

  const feed: ParsedFeed = {
    title,
    link,
    description: htmlToText(textOf(channel['description']) ?? ''),
    items: [],
    problems,
  };
  const self = findSelfLink(channel);
  if (self !== undefined) {
    const selfUrl = safeHttpUrl(self, feedUrl);
    if (selfUrl !== null) feed.selfUrl = selfUrl;
    else problems.push(`atom:link rel="self" is not an http(s) URL: ${JSON.stringify(self.slice(0, 200))}`);
  }
  const rawBuild = textOf(channel['lastBuildDate']);
  if (rawBuild !== undefined && rawBuild.trim() !== '') {
    const built = parseFeedDate(rawBuild);
    if (built) feed.lastBuildDate = built;
    else problems.push(`channel lastBuildDate is not a valid date: ${JSON.stringify(rawBuild.slice(0, 100))}`);
  }

  const rawItems = Array.isArray(channel['item']) ? (channel['item'] as unknown[]) : [];
  const base = link ?? feedUrl;
  const drafts = rawItems.map((raw, index): Omit<FeedItem, 'identity'> => {
    const node = isRecord(raw) ? raw : {};
    const itemTitle = collapseWhitespace(stripInvalidXmlChars(textOf(node['title']) ?? ''));
    const label = describeItem(itemTitle, index);
    const descriptionHtml = stripInvalidXmlChars(textOf(node['description']) ?? '');
    if (itemTitle === '' && descriptionHtml === '') problems.push(`${label} has neither title nor description`);

    const rawLink = collapseWhitespace(textOf(node['link']) ?? '');
    const itemLink = safeHttpUrl(rawLink, base);
    if (rawLink === '') problems.push(`${label} has no link`);
    else if (itemLink === null) problems.push(`${label} link is not an http(s) URL: ${JSON.stringify(rawLink.slice(0, 200))}`);

    let guid = (textOf(node['guid']) ?? '').trim();
    if (guid === '') {
      // RSS makes guid optional; the link is the next most stable key.
      guid = itemLink ?? '';
      problems.push(`${label} has no guid`);
    }

    const rawPubDate = (textOf(node['pubDate']) ?? '').trim();
    const draft: Omit<FeedItem, 'identity'> = {
      guid,
      title: itemTitle,
      link: itemLink,
      descriptionHtml,
      descriptionText: htmlToText(descriptionHtml),
      publishedAt: null,
      rawPubDate,
    };
    if (rawPubDate === '') {
      draft.dateProblem = 'missing pubDate';
    } else {
      draft.publishedAt = parseFeedDate(rawPubDate);
      if (draft.publishedAt === null) draft.dateProblem = `unparseable pubDate ${JSON.stringify(rawPubDate.slice(0, 100))}`;
    }
    if (draft.dateProblem !== undefined) problems.push(`${label}: ${draft.dateProblem}`);
    return draft;
  });
  feed.items = assignIdentities(feedUrl, drafts, problems);
  // A hostile or broken feed can produce a problem per item; keep the stored list bounded.
  if (problems.length > MAX_PROBLEMS) {
    const extra = problems.length - MAX_PROBLEMS;
    problems.length = MAX_PROBLEMS;
    problems.push(`... and ${extra} more problems`);
  }
  return feed;
}
