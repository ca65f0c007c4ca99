// Pure text helpers for feed content. Everything here is linear in the input length:
// feed bodies are attacker-influenced, so no regex may backtrack across the whole input.

const XML_NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// The HTML entities AWS documentation actually emits, plus the common typographic ones.
// Unknown named entities are left as written rather than guessed.
const HTML_NAMED: Readonly<Record<string, string>> = {
  ...XML_NAMED,
  nbsp: '\u00a0', ndash: '\u2013', mdash: '\u2014', lsquo: '\u2018', rsquo: '\u2019',
  ldquo: '\u201c', rdquo: '\u201d', hellip: '\u2026', bull: '\u2022', middot: '\u00b7',
  copy: '\u00a9', reg: '\u00ae', trade: '\u2122', laquo: '\u00ab', raquo: '\u00bb',
  times: '\u00d7', rarr: '\u2192', larr: '\u2190', shy: '\u00ad',
};

const ENTITY_RE = /&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g;

function decodeNumeric(ref: string): string {
  const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
  // NUL, surrogates and out-of-range code points cannot be represented; U+FFFD keeps the position visible.
  if (!Number.isFinite(cp) || cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(cp);
}

function decodeWith(table: Readonly<Record<string, string>>, s: string): string {
  if (!s.includes('&')) return s;
  // One pass: "&amp;lt;" becomes "&lt;", never "<" (no double decoding).
  return s.replace(ENTITY_RE, (whole, ref: string) => {
    if (ref.startsWith('#')) return decodeNumeric(ref);
    return Object.hasOwn(table, ref) ? (table[ref] as string) : whole;
  });
}

/** Decodes the five XML entities and character references, once. */
export function decodeXmlEntities(s: string): string {
  return decodeWith(XML_NAMED, s);
}

/** Decodes HTML character references (a known subset of named ones plus numeric), once. */
export function decodeHtmlEntities(s: string): string {
  return decodeWith(HTML_NAMED, s);
}

/** Characters XML 1.0 forbids outright: C0 controls except tab, LF and CR; U+FFFE and U+FFFF. */
const FORBIDDEN_XML_CHARS = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff';
// Any character the strip below could remove, surrogates included (paired ones are kept, but they
// are rare in feeds). One character-class scan costs a quarter of the replace with its lookarounds,
// and feeds are almost always clean: parse.ts runs this over the whole ~170 KB document.
const MAYBE_INVALID_XML_CHAR = new RegExp(`[${FORBIDDEN_XML_CHARS}\\ud800-\\udfff]`);
const INVALID_XML_CHARS = new RegExp(`[${FORBIDDEN_XML_CHARS}]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]`, 'g');

/** Removes characters that XML 1.0 forbids (C0 controls except tab/LF/CR, U+FFFE/U+FFFF, lone surrogates). */
export function stripInvalidXmlChars(s: string): string {
  if (!MAYBE_INVALID_XML_CHAR.test(s)) return s;
  return s.replace(INVALID_XML_CHARS, '');
}

/** Collapses every run of whitespace (including newlines and NBSP) into one space and trims. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Cuts `<tag ...> ... </tag>` blocks (content included) with indexOf scanning, so unclosed openers stay linear. */
function removeBlocks(html: string, tag: string): string {
  const lower = html.toLowerCase();
  const open = `<${tag}`;
  const close = `</${tag}`;
  let out = '';
  let pos = 0;
  for (;;) {
    const start = lower.indexOf(open, pos);
    if (start === -1) break;
    const next = lower.charAt(start + open.length);
    // "<scripts" or "<scriptx" is not a script element.
    if (next !== '' && !/[\s>/]/.test(next)) {
      out += html.slice(pos, start + open.length);
      pos = start + open.length;
      continue;
    }
    out += html.slice(pos, start) + ' ';
    const end = lower.indexOf(close, start + open.length);
    if (end === -1) return out; // unclosed: everything after the opener is script/style content
    const gt = lower.indexOf('>', end);
    if (gt === -1) return out;
    pos = gt + 1;
  }
  return out + html.slice(pos);
}

/** Removes `<!-- ... -->` comments (an unclosed comment runs to the end, as in HTML). */
function removeComments(html: string): string {
  let out = '';
  let pos = 0;
  for (;;) {
    const start = html.indexOf('<!--', pos);
    if (start === -1) return out + html.slice(pos);
    out += html.slice(pos, start);
    const end = html.indexOf('-->', start + 4);
    if (end === -1) return out;
    pos = end + 3;
  }
}

// Inline elements are removed without a separator so "<code>X</code>." stays "X."; anything else
// becomes a space so adjacent block texts do not run together.
const INLINE_TAGS = new Set([
  'a', 'abbr', 'b', 'cite', 'code', 'em', 'i', 'kbd', 'mark', 'q', 's', 'samp', 'small', 'span',
  'strong', 'sub', 'sup', 'u', 'var', 'font',
]);

/**
 * Converts an HTML fragment to safe plain text: script/style/comments dropped, tags stripped,
 * entities decoded once, whitespace collapsed. A feed that escaped markup twice
 * ("&amp;lt;script&amp;gt;") decodes to literal "<script>" text; that "<" is replaced with
 * U+2039 so the result never contains anything a careless consumer could render as a tag.
 */
export function htmlToText(html: string): string {
  let s = removeComments(html);
  s = removeBlocks(s, 'script');
  s = removeBlocks(s, 'style');
  s = s.replace(/<[!?][^<>]*>/g, ' ');
  // The lookahead stops the name from backtracking into the attribute run (quadratic on "<aaaa...").
  s = s.replace(/<\/?([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9])[^<>]*>/g, (_m, name: string) => (INLINE_TAGS.has(name.toLowerCase()) ? '' : ' '));
  s = decodeHtmlEntities(s);
  s = s.replace(/<(?=[A-Za-z/!?])/g, '\u2039');
  return collapseWhitespace(stripInvalidXmlChars(s));
}
