// The XML step of feed parsing: rss-parser (xml2js over sax) turns an RSS 2.0 or Atom document into
// plain fields, as carried. No guard lives here: parse.ts has already capped the size, stripped
// invalid characters and refused any DTD that declares entities before this module sees the text.
import Parser from 'rss-parser';
import { FeedParseError } from './parse-error.ts';

const ATOM_NS = 'http://www.w3.org/2005/Atom';

/**
 * Elements renamed before rss-parser maps them, and read back through customFields instead.
 * rss-parser computes a "snippet" of description, content and content:encoded with a lazy regex
 * that is quadratic in the number of unclosed "<" (measured: 40,000 "&lt;" take 4 s), and turns
 * Atom published/updated into ISO strings with a `toISOString()` that throws on one bad date and
 * so loses the whole feed. Renamed, these are plain text we read ourselves: linear, and a bad date
 * stays a per-item problem. pubDate is renamed because rss-parser parses every item's into an
 * `isoDate` nothing here reads (dates.ts parses the raw text, stricter than `new Date`).
 */
const RAW = 'pw-raw:';
const RENAMED = new Set(['description', 'content', 'content:encoded', 'summary', 'published', 'updated', 'pubDate']);
const raw = (name: string): string => `${RAW}${name}`;
/** Atom `link` and RSS `*:link` elements, renamed (see hooksFor) and kept as nodes, attributes included. */
const LINKS = raw('link');
const PREFIXED_LINKS = raw('prefixed-link');
const asNodes = (name: string): [string, string, { keepArray: boolean }] => [name, name, { keepArray: true }];

const ITEM_FIELDS = [raw('description'), raw('content'), raw('summary'), raw('published'), raw('updated'), raw('pubDate'), asNodes(LINKS)];
const CHANNEL_FIELDS = [raw('description'), raw('updated'), 'subtitle', 'lastBuildDate', asNodes(LINKS), asNodes(PREFIXED_LINKS)];

type Fields = Record<string, unknown>;

export interface RawEntry {
  guid: string;
  title: string;
  link: string;
  /** Text content of description (RSS) or summary/content (Atom), entities decoded once by the parser. */
  description: string;
  /** pubDate (RSS) or published/updated (Atom), as written. */
  date: string;
}

export interface RawFeed {
  format: 'rss' | 'atom';
  title: string;
  link: string;
  /** href of the first `rel="self"` link (`atom:link` in RSS, `link` in Atom). */
  selfLink?: string;
  description: string;
  lastBuildDate: string;
  /** Number of <channel> elements (RSS); only the first is read. */
  channels: number;
  entries: RawEntry[];
}

/** Text of a value xml2js produced: a string, or `{ _: text, $: attributes }`; child elements are ignored. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return text(v[0]);
  if (typeof v === 'object' && v !== null && '_' in v && typeof v._ === 'string') return v._;
  return '';
}

function attributes(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || !('$' in v)) return {};
  const attrs = v.$;
  return typeof attrs === 'object' && attrs !== null ? (attrs as Record<string, unknown>) : {};
}

/**
 * What the tag-name and attribute hooks saw while xml2js read the document. xml2js calls them on
 * every start tag (attributes first, then the name) in document order, so the first name is the
 * root's and the attributes before it are the root's.
 */
interface Seen {
  root: string | undefined;
  /** The root element's xmlns attribute. */
  rootXmlns: string | undefined;
  /** <channel> start tags in an RSS document (RSS 2.0 nests none inside <channel> or <item>). */
  channels: number;
}

/**
 * The checks a feed needs beyond rss-parser's mapping, made in the hooks xml2js calls anyway (an
 * xml2js `validator` instead makes xml2js build an element-path string on every closing tag:
 * about 1 ms of a 10 ms EKS-size parse). The root is judged at its start tag, so a document that
 * is not a feed (an HTML error page) is refused before the rest of it is read.
 *
 * Links are renamed too: in Atom every `link` (rss-parser reads `link.$.rel` unchecked and throws
 * on a text link, losing the whole feed), in RSS every prefixed `*:link` (the self link may come
 * under any prefix). Both are read back through customFields, from the channel itself.
 */
function hooksFor(seen: Seen) {
  const tagName = (name: string): string => {
    if (seen.root === undefined) {
      seen.root = name;
      if (name === 'feed') {
        if (seen.rootXmlns !== ATOM_NS) throw new FeedParseError('not_rss', `found <feed> outside the Atom namespace (${ATOM_NS})`);
      } else if (name !== 'rss') {
        throw new FeedParseError('not_rss', `expected an RSS 2.0 <rss> or Atom <feed> root element, found <${name.slice(0, 100)}>`);
      }
    } else if (seen.root === 'feed') {
      if (name === 'link') return LINKS;
    } else if (name === 'channel') {
      seen.channels++;
    } else if (name.endsWith(':link')) {
      return PREFIXED_LINKS;
    }
    return RENAMED.has(name) ? raw(name) : name;
  };
  const attrValue = (value: string, name: string): string => {
    if (seen.root === undefined && name === 'xmlns') seen.rootXmlns = value;
    return value;
  };
  return { tagNameProcessors: [tagName], attrValueProcessors: [attrValue] };
}

/** href of the first `rel="alternate"` link, else of the first link: rss-parser's own rule for Atom. */
function linkHref(links: unknown): string {
  if (!Array.isArray(links)) return '';
  const found = links.find((l) => attributes(l)['rel'] === 'alternate') ?? links[0];
  const href = attributes(found)['href'];
  return typeof href === 'string' ? href : '';
}

/** href of the first `rel="self"` link among xml2js link nodes. */
function selfHref(links: unknown): string | undefined {
  if (!Array.isArray(links)) return undefined;
  for (const l of links) {
    const attrs = attributes(l);
    if (attrs['rel'] === 'self' && typeof attrs['href'] === 'string') return attrs['href'];
  }
  return undefined;
}

/**
 * Reads one feed document. Throws FeedParseError: `not_rss` for a document that is not RSS or Atom
 * (judged at its root's start tag) or an RSS document without a <channel>, `malformed_xml` for
 * anything the XML parser refuses (an entity reference it does not know included: sax never
 * expands DTD-declared entities).
 */
export async function readFeedXml(xml: string): Promise<RawFeed> {
  const seen: Seen = { root: undefined, rootXmlns: undefined, channels: 0 };
  // One parser per document: the hooks' record belongs to this document alone.
  const reader = new Parser<Fields, Fields>({
    // <rss> without a version attribute is read as RSS 2.0, as it was before rss-parser.
    defaultRSS: 2,
    xml2js: hooksFor(seen),
    // rss-parser's typings allow [from, to, options] for items only; the channel's fields go
    // through the same copy (utils.copyFromXML), options included.
    customFields: { feed: CHANNEL_FIELDS as unknown as string[], item: ITEM_FIELDS },
  });
  let out: Awaited<ReturnType<typeof reader.parseString>>;
  try {
    out = await reader.parseString(xml);
  } catch (err) {
    if (err instanceof FeedParseError) throw err;
    // rss-parser reads rss.channel[0] unchecked. No <channel> start tag at all, or a TypeError out
    // of its mapping (sax and xml2js report XML errors as plain Errors), means a <rss> without one.
    if (seen.root === 'rss' && (seen.channels === 0 || err instanceof TypeError)) throw new FeedParseError('not_rss', 'RSS document has no <channel>');
    const message = err instanceof Error ? err.message : String(err);
    throw new FeedParseError('malformed_xml', `feed is not well-formed XML: ${message.replace(/\s*\n\s*/g, ', ')}`);
  }
  const atom = seen.root === 'feed';
  const feed: RawFeed = {
    format: atom ? 'atom' : 'rss',
    title: text(out.title),
    link: atom ? linkHref(out[LINKS]) : text(out.link),
    description: text(atom ? out['subtitle'] : out[raw('description')]),
    lastBuildDate: text(atom ? out[raw('updated')] : out['lastBuildDate']),
    channels: seen.channels,
    entries: out.items.map((item) => ({
      guid: text(atom ? item['id'] : item.guid),
      title: text(item.title),
      link: atom ? linkHref(item[LINKS]) : text(item.link),
      description: atom
        ? text(item[raw('summary')]) || text(item[raw('content')])
        : text(item[raw('description')]),
      date: atom ? text(item[raw('published')]) || text(item[raw('updated')]) : text(item[raw('pubDate')]),
    })),
  };
  const selfLink = selfHref(atom ? out[LINKS] : out[PREFIXED_LINKS]);
  if (selfLink !== undefined) feed.selfLink = selfLink;
  return feed;
}
