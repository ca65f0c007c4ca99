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
 * stays a per-item problem.
 */
const RAW = 'pw-raw:';
const RENAMED = new Set(['description', 'content', 'content:encoded', 'summary', 'published', 'updated']);
const raw = (name: string): string => `${RAW}${name}`;

const ITEM_FIELDS = [raw('description'), raw('content'), raw('summary'), raw('published'), raw('updated')];
const CHANNEL_FIELDS = [raw('description'), raw('updated'), 'subtitle', 'lastBuildDate'];

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

/** What the per-document validator saw while xml2js built the tree. */
interface Seen {
  root: string;
  channels: number;
  selfLink?: string;
}

function isChannelLink(xpath: string): boolean {
  // /feed/link (Atom) or /rss/channel/<prefix>:link (RSS with an Atom self link, any prefix).
  if (xpath === '/feed/link') return true;
  return xpath.startsWith('/rss/channel/') && xpath.endsWith(':link') && xpath.indexOf('/', 13) === -1;
}

/**
 * xml2js calls this on every closing tag. It records the self link and the channel count, and
 * refuses a document whose root is not a feed, so the error says what was found instead of
 * rss-parser failing later on a missing <channel>. Its return value replaces the element.
 */
function validatorFor(seen: Seen) {
  return (xpath: string, _current: unknown, value: unknown): unknown => {
    // rss-parser reads `link.$.rel` of every Atom link and throws on one without attributes (a
    // text link, invalid Atom); given empty attributes, that entry just has no link.
    if ((xpath === '/feed/link' || xpath === '/feed/entry/link') && !(typeof value === 'object' && value !== null && '$' in value)) {
      return { $: {} };
    }
    if (seen.selfLink === undefined && isChannelLink(xpath)) {
      const attrs = attributes(value);
      if (attrs['rel'] === 'self' && typeof attrs['href'] === 'string') seen.selfLink = attrs['href'];
    }
    if (xpath.indexOf('/', 1) !== -1) return value;
    const root = xpath.slice(1);
    seen.root = root;
    if (root === 'rss') {
      const channel = typeof value === 'object' && value !== null && 'channel' in value ? value.channel : undefined;
      if (!Array.isArray(channel) || channel.length === 0) throw new FeedParseError('not_rss', 'RSS document has no <channel>');
      seen.channels = channel.length;
    } else if (root === 'feed') {
      if (attributes(value)['xmlns'] !== ATOM_NS) throw new FeedParseError('not_rss', `found <feed> outside the Atom namespace (${ATOM_NS})`);
    } else {
      throw new FeedParseError('not_rss', `expected an RSS 2.0 <rss> or Atom <feed> root element, found <${root.slice(0, 100)}>`);
    }
    return value;
  };
}

/**
 * Reads one feed document. Throws FeedParseError: `not_rss` for a well-formed document that is not
 * RSS or Atom, `malformed_xml` for anything the XML parser refuses (an entity reference it does not
 * know included: sax never expands DTD-declared entities).
 */
export async function readFeedXml(xml: string): Promise<RawFeed> {
  const seen: Seen = { root: '', channels: 0 };
  // One parser per document: the validator's record belongs to this document alone.
  const reader = new Parser<Fields, Fields>({
    // <rss> without a version attribute is read as RSS 2.0, as it was before rss-parser.
    defaultRSS: 2,
    xml2js: {
      tagNameProcessors: [(name: string) => (RENAMED.has(name) ? raw(name) : name)],
      validator: validatorFor(seen),
    },
    customFields: { feed: CHANNEL_FIELDS, item: ITEM_FIELDS },
  });
  let out: Awaited<ReturnType<typeof reader.parseString>>;
  try {
    out = await reader.parseString(xml);
  } catch (err) {
    if (err instanceof FeedParseError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new FeedParseError('malformed_xml', `feed is not well-formed XML: ${message.replace(/\s*\n\s*/g, ', ')}`);
  }
  const atom = seen.root === 'feed';
  const feed: RawFeed = {
    format: atom ? 'atom' : 'rss',
    title: text(out.title),
    link: text(out.link),
    description: text(atom ? out['subtitle'] : out[raw('description')]),
    lastBuildDate: text(atom ? out[raw('updated')] : out['lastBuildDate']),
    channels: seen.channels,
    entries: out.items.map((item) => ({
      guid: text(atom ? item['id'] : item.guid),
      title: text(item.title),
      link: text(item.link),
      description: atom
        ? text(item[raw('summary')]) || text(item[raw('content')])
        : text(item[raw('description')]),
      date: atom ? text(item[raw('published')]) || text(item[raw('updated')]) : text(item.pubDate),
    })),
  };
  if (seen.selfLink !== undefined) feed.selfLink = seen.selfLink;
  return feed;
}
