// Parsing of AWS documentation-history feeds (RSS 2.0, and Atom; no IO). Whole-document failures
// throw a typed FeedParseError; per-item trouble (bad date, unsafe link, missing guid) is recorded
// in `problems` and the item is kept, so one bad entry never costs the others.
// The guards run here, on the text, before any XML parser sees it: size cap, invalid characters
// stripped, DTDs that declare entities refused. The XML itself is read by rss-parser (reader.ts).
import { hash } from 'node:crypto';
import { parseFeedDate } from './dates.ts';
import { FeedParseError } from './parse-error.ts';
import { readFeedXml } from './reader.ts';
import { collapseWhitespace, htmlToText, stripInvalidXmlChars } from './text.ts';

export { FeedParseError } from './parse-error.ts';
export type { FeedParseErrorCode } from './parse-error.ts';

/** Large enough for the biggest AWS history feeds (EKS is ~170 KB), small enough to bound memory. */
export const DEFAULT_MAX_FEED_BYTES = 5 * 1024 * 1024;

/** Problems kept per parsed feed; the rest are summarised in one final line. */
export const MAX_PROBLEMS = 100;

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
  /** `atom:link rel="self"` (RSS) or `link rel="self"` (Atom) when the feed declares one. */
  selfUrl?: string;
  description: string;
  lastBuildDate?: Date;
  items: FeedItem[];
  problems: string[];
}

export interface ParseFeedOptions {
  maxBytes?: number;
}

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

/** SHA-256 over an unambiguous (JSON array) encoding of the parts. */
function sha256Of(parts: readonly string[]): string {
  // One-shot hash: a third of createHash's cost on these short inputs, same digest (UTF-8 input).
  return hash('sha256', JSON.stringify(parts), 'hex');
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

/**
 * Parses one RSS 2.0 or Atom document. Rejects with FeedParseError if the document as a whole is
 * unusable. Asynchronous because rss-parser's parseString is.
 */
export async function parseFeed(xml: string, feedUrl: string, opts: ParseFeedOptions = {}): Promise<ParsedFeed> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FEED_BYTES;
  // xml.length counts UTF-16 units, never more than the UTF-8 byte count, so the cheap test is safe.
  if (xml.length > maxBytes || Buffer.byteLength(xml, 'utf8') > maxBytes) {
    throw new FeedParseError('too_large', `feed document exceeds ${maxBytes} bytes`);
  }
  // Stripped before the DTD check, so the check sees exactly the text the parser will see.
  const source = stripInvalidXmlChars(xml.replace(/^\uFEFF/, '').trimStart());
  rejectDangerousDtd(source);
  const doc = await readFeedXml(source);

  const problems: string[] = [];
  if (doc.channels > 1) problems.push(`feed has ${doc.channels} <channel> elements; only the first is read`);
  const title = collapseWhitespace(stripInvalidXmlChars(doc.title));
  if (title === '') problems.push('channel has no title');
  const rawChannelLink = collapseWhitespace(doc.link);
  const link = safeHttpUrl(rawChannelLink, feedUrl);
  if (rawChannelLink !== '' && link === null) problems.push(`channel link is not an http(s) URL: ${JSON.stringify(rawChannelLink.slice(0, 200))}`);

  const feed: ParsedFeed = {
    title,
    link,
    description: htmlToText(doc.description),
    items: [],
    problems,
  };
  const self = doc.selfLink;
  if (self !== undefined) {
    const selfUrl = safeHttpUrl(self.trim(), feedUrl);
    if (selfUrl !== null) feed.selfUrl = selfUrl;
    else problems.push(`${doc.format === 'atom' ? 'link' : 'atom:link'} rel="self" is not an http(s) URL: ${JSON.stringify(self.slice(0, 200))}`);
  }
  const rawBuild = doc.lastBuildDate;
  if (rawBuild.trim() !== '') {
    const built = parseFeedDate(rawBuild);
    if (built) feed.lastBuildDate = built;
    else problems.push(`channel ${doc.format === 'atom' ? 'updated' : 'lastBuildDate'} is not a valid date: ${JSON.stringify(rawBuild.slice(0, 100))}`);
  }

  const base = link ?? feedUrl;
  const drafts = doc.entries.map((entry, index): Omit<FeedItem, 'identity'> => {
    const itemTitle = collapseWhitespace(stripInvalidXmlChars(entry.title));
    const label = describeItem(itemTitle, index);
    const descriptionHtml = stripInvalidXmlChars(entry.description).trim();
    if (itemTitle === '' && descriptionHtml === '') problems.push(`${label} has neither title nor description`);

    const rawLink = collapseWhitespace(entry.link);
    const itemLink = safeHttpUrl(rawLink, base);
    if (rawLink === '') problems.push(`${label} has no link`);
    else if (itemLink === null) problems.push(`${label} link is not an http(s) URL: ${JSON.stringify(rawLink.slice(0, 200))}`);

    let guid = entry.guid.trim();
    if (guid === '') {
      // RSS makes guid optional; the link is the next most stable key.
      guid = itemLink ?? '';
      problems.push(`${label} has no guid`);
    }

    const rawPubDate = entry.date.trim();
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
