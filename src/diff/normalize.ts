// Parse an IAM policy document into value objects. Never throws: anything the engine cannot
// interpret is kept (as canonical JSON in `opaque`) with a human-readable reason in `problems`, so
// the diff can still say "something it could not read changed" instead of calling it cosmetic.
import { canonicalJson } from './canonical.ts';
import type { CanonicalConditions, Grant } from './types.ts';

export type Effect = 'Allow' | 'Deny';

/**
 * One interpreted statement. Treat as immutable: identical statements are shared between documents
 * (see the statement cache below), and later stages cache per-statement work by object identity.
 */
export interface NormalizedStatement {
  effect: Effect;
  /** True for NotAction statements: they cover every action except `patterns`. */
  notAction: boolean;
  /** Action or NotAction patterns as written, duplicates removed case-insensitively. */
  patterns: string[];
  /** The same, lower-cased (IAM action names are case-insensitive). */
  lowerPatterns: string[];
  grant: Grant;
  /** Case-insensitive identity of the grant (condition operators and keys lower-cased). */
  grantKey: string;
  /** Tie-breaker between grants with one grantKey but different spelling (condition key case). */
  grantSpelling: string;
}

export interface NormalizedPolicy {
  /** False when the document as a whole is unusable (not an object, no Statement, bad JSON text). */
  ok: boolean;
  reason?: string;
  raw: unknown;
  version: string | undefined;
  statements: NormalizedStatement[];
  problems: string[];
  /** Canonical JSON of everything not interpreted (invalid statements, unknown members), sorted. */
  opaque: string[];
}

const STATEMENT_MEMBERS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const DOCUMENT_MEMBERS = new Set(['Version', 'Id', 'Statement']);

// IAM condition operators (IAM User Guide, "IAM JSON policy elements: Condition operators"). Used
// only to print a canonical spelling; matching is case-insensitive either way.
const OPERATORS = new Map(
  [
    'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike',
    'StringNotLike', 'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals',
    'NumericGreaterThan', 'NumericGreaterThanEquals', 'DateEquals', 'DateNotEquals', 'DateLessThan',
    'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals', 'Bool', 'BinaryEquals', 'IpAddress',
    'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
  ].map((o) => [o.toLowerCase(), o]),
);

export function canonicalOperator(op: string): string {
  let rest = op.toLowerCase();
  let prefix = '';
  for (const p of ['ForAllValues:', 'ForAnyValue:']) {
    if (rest.startsWith(p.toLowerCase())) {
      prefix = p;
      rest = rest.slice(p.length);
    }
  }
  const ifExists = rest.endsWith('ifexists') && rest !== 'ifexists';
  const base = OPERATORS.get(ifExists ? rest.slice(0, -'ifexists'.length) : rest);
  return base ? prefix + base + (ifExists ? 'IfExists' : '') : op;
}

class StatementError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(value: unknown, member: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new StatementError(`${member} must be a string or an array of strings`);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function conditionValues(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  // IAM compares condition values as strings: true and "true" are the same value.
  return sortedUnique(
    list.map((v) => {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new StatementError(`Condition ${where} has a value that is not a string, number or boolean`);
    }),
  );
}

function parseConditions(value: unknown): { display: CanonicalConditions; key: string } | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new StatementError('Condition must be an object');
  const blocks: { display: string; lower: string; keys: { display: string; lower: string; values: string[] }[] }[] = [];
  for (const [op, body] of Object.entries(value)) {
    if (!isPlainObject(body)) throw new StatementError(`Condition operator ${op} must map to an object`);
    const keys = Object.entries(body).map(([k, v]) => ({ display: k, lower: k.toLowerCase(), values: conditionValues(v, `${op}/${k}`) }));
    if (keys.length === 0) continue; // an empty operator block constrains nothing
    keys.sort((a, b) => cmp(a.lower, b.lower) || cmp(a.display, b.display));
    blocks.push({ display: canonicalOperator(op), lower: op.toLowerCase(), keys });
  }
  if (blocks.length === 0) return undefined;
  blocks.sort((a, b) => cmp(a.lower, b.lower) || cmp(a.display, b.display));
  const display: CanonicalConditions = {};
  for (const b of blocks) {
    const target = (display[b.display] ??= {});
    for (const k of b.keys) target[k.display] = sortedUnique([...(target[k.display] ?? []), ...k.values]);
  }
  const key = JSON.stringify(blocks.map((b) => [b.lower, b.keys.map((k) => [k.lower, k.values])]));
  return { display, key };
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseStatement(raw: unknown): NormalizedStatement {
  if (!isPlainObject(raw)) throw new StatementError('statement is not an object');
  for (const k of Object.keys(raw)) {
    if (!STATEMENT_MEMBERS.has(k)) throw new StatementError(`unsupported element ${JSON.stringify(k)} in an identity policy`);
  }
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new StatementError(`Effect must be "Allow" or "Deny" (got ${JSON.stringify(effect) ?? 'nothing'})`);
  }
  const hasAction = raw.Action !== undefined;
  const hasNotAction = raw.NotAction !== undefined;
  if (hasAction === hasNotAction) throw new StatementError('exactly one of Action and NotAction is required');
  const written = stringList(hasAction ? raw.Action : raw.NotAction, hasAction ? 'Action' : 'NotAction');
  // Duplicates differing only in case keep the smallest spelling: independent of their order.
  const seen = new Set<string>();
  const patterns: string[] = [];
  const lowerPatterns: string[] = [];
  for (const p of written) {
    const l = p.toLowerCase();
    const size = seen.size;
    if (seen.add(l).size > size) {
      patterns.push(p);
      lowerPatterns.push(l);
    } else {
      const at = lowerPatterns.indexOf(l); // duplicates are rare: one set operation per pattern
      if (p < (patterns[at] as string)) patterns[at] = p;
    }
  }
  const hasResource = raw.Resource !== undefined;
  const hasNotResource = raw.NotResource !== undefined;
  if (hasResource === hasNotResource) throw new StatementError('exactly one of Resource and NotResource is required');
  const grant: Grant = {};
  if (hasResource) grant.resources = sortedUnique(stringList(raw.Resource, 'Resource'));
  else grant.notResources = sortedUnique(stringList(raw.NotResource, 'NotResource'));
  const cond = parseConditions(raw.Condition);
  if (cond) grant.conditions = cond.display;
  const grantKey = JSON.stringify([grant.resources ?? null, grant.notResources ?? null, cond?.key ?? null]);
  const grantSpelling = cond ? canonicalJson(cond.display) : '';
  return { effect, notAction: !hasAction, patterns, lowerPatterns, grant, grantKey, grantSpelling };
}

function parseText(doc: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(doc) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Normalise a policy document. A string is taken as JSON text and parsed first (IAM hands out
 * URL-decoded text); anything else must already be the parsed document.
 */
export function normalizePolicy(input: unknown): NormalizedPolicy {
  let doc = input;
  if (typeof input === 'string') {
    const parsed = parseText(input);
    if (!parsed.ok) return broken(input, 'document is not valid JSON');
    doc = parsed.value;
  }
  if (!isPlainObject(doc)) return broken(doc, 'document is not a JSON object');
  if (doc.Statement === undefined) return broken(doc, 'document has no Statement');
  const problems: string[] = [];
  const opaque: string[] = [];
  for (const k of Object.keys(doc)) {
    if (!DOCUMENT_MEMBERS.has(k)) {
      problems.push(`unsupported top-level element ${JSON.stringify(k)}`);
      opaque.push(canonicalJson({ [k]: doc[k] }));
    }
  }
  const version = typeof doc.Version === 'string' ? doc.Version : undefined;
  if (doc.Version !== undefined && version === undefined) {
    problems.push('Version is not a string');
    opaque.push(canonicalJson({ Version: doc.Version }));
  }
  const rawStatements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const statements: NormalizedStatement[] = [];
  rawStatements.forEach((raw, index) => {
    const parsed = cachedStatement(raw);
    if (typeof parsed !== 'string') statements.push(parsed);
    else {
      problems.push(`statement ${index}${sidOf(raw)}: ${parsed}`);
      opaque.push(canonicalJson(withoutSid(raw)));
    }
  });
  opaque.sort();
  return { ok: true, raw: doc, version, statements, problems, opaque };
}

// Consecutive versions of a policy repeat most statements verbatim, so parsed statements are
// cached (bounded, cleared when full). Parsing is pure, so a hit returns exactly what parsing would.
// A statement that is plain JSON data (what JSON.parse returns) is found by a structural
// fingerprint and confirmed by comparing it with a copy taken when it was parsed, which is several
// times cheaper than building its JSON text; anything else is keyed by its JSON text. The hits
// come from one policy's consecutive versions, so a small cache does: at 20,000 a dataset import
// kept ~50 MB of statements alive for nothing.
const STATEMENT_CACHE_LIMIT = 2_000;
const byFingerprint = new Map<number, { copy: unknown; parsed: NormalizedStatement | string }[]>();
const byText = new Map<string, NormalizedStatement | string>();
let cachedCount = 0;
// Statements listing hundreds of actions or resources (ReadOnlyAccess lists ~4,000 actions) are
// nearly always new: a version that changes such a policy changes its big statement. Caching them
// would keep megabytes for few hits, so they are parsed without the cache.
const UNCACHED_LIST_SIZE = 256;

function cachedStatement(raw: unknown): NormalizedStatement | string {
  if (!isPlainObject(raw) || isLarge(raw)) return parseOrProblem(raw);
  const fp = fingerprint(raw, 0, 0);
  if (fp !== undefined) {
    const bucket = byFingerprint.get(fp);
    if (bucket) for (const e of bucket) if (sameJson(e.copy, raw)) return e.parsed;
    const parsed = parseOrProblem(raw);
    makeRoom();
    const entry = { copy: copyJson(raw), parsed };
    const list = byFingerprint.get(fp);
    if (!list) byFingerprint.set(fp, [entry]);
    else if (list.push(entry) > 8) list.shift(); // colliding fingerprints: keep lookups short
    return parsed;
  }
  let key: string | undefined;
  try {
    key = JSON.stringify(raw);
  } catch {
    key = undefined; // not JSON data (cycles, BigInt): parse uncached, parseStatement reports it
  }
  const hit = key === undefined ? undefined : byText.get(key);
  if (hit !== undefined) return hit;
  const parsed = parseOrProblem(raw);
  if (key !== undefined) {
    makeRoom();
    byText.set(key, parsed);
  }
  return parsed;
}

/** Called before adding an entry: clears the cache when it is full. */
function makeRoom(): void {
  if (cachedCount >= STATEMENT_CACHE_LIMIT) {
    byFingerprint.clear();
    byText.clear();
    cachedCount = 0;
  }
  cachedCount++;
}

function parseOrProblem(raw: unknown): NormalizedStatement | string {
  try {
    return parseStatement(raw);
  } catch (err) {
    if (!(err instanceof StatementError)) throw err;
    return err.message;
  }
}

function isLarge(raw: Record<string, unknown>): boolean {
  const size = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  return size(raw.Action) + size(raw.NotAction) + size(raw.Resource) + size(raw.NotResource) > UNCACHED_LIST_SIZE;
}

// Statements nest a few levels (Condition → operator → key → values); deeper data is left to the
// JSON-text path, which also keeps cyclic data away from the recursion below.
const MAX_DEPTH = 8;

/**
 * A hash of plain JSON data (null, booleans, finite numbers, strings, arrays and Object-prototype
 * objects, keys in order), or undefined when `v` is anything else. Strings contribute their length
 * and a few characters: collisions only cost a comparison.
 */
function fingerprint(v: unknown, h: number, depth: number): number | undefined {
  switch (typeof v) {
    case 'string':
      return mixString(h, v);
    case 'boolean':
      return mix(h, v ? 1 : 2);
    case 'number':
      return Number.isFinite(v) ? mix(h, (v * 1000003) | 0) : undefined;
    case 'object': {
      if (v === null) return mix(h, 3);
      if (depth >= MAX_DEPTH) return undefined;
      let out: number | undefined;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return undefined;
        out = mix(h, v.length + 4);
        for (let i = 0; i < v.length && out !== undefined; i++) out = fingerprint(v[i], out, depth + 1);
        return out;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
      out = mix(h, 5);
      for (const k of Object.keys(v)) {
        out = fingerprint((v as Record<string, unknown>)[k], mixString(out, k), depth + 1);
        if (out === undefined) return undefined;
      }
      return out;
    }
    default:
      return undefined;
  }
}

function mix(h: number, x: number): number {
  return (Math.imul(h ^ x, 0x9e3779b1) + 0x7f4a7c15) | 0;
}

function mixString(h: number, s: string): number {
  const n = s.length;
  h = mix(h, n);
  if (n === 0) return h;
  h = mix(h, s.charCodeAt(0) | (s.charCodeAt(n - 1) << 16));
  return mix(h, s.charCodeAt(n >> 1) | (s.charCodeAt(n >> 2) << 16));
}

/** Deep copy of data fingerprint() accepted. */
function copyJson(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copyJson);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copyJson((v as Record<string, unknown>)[k]);
  return out;
}

/** Equal plain JSON data, keys in the same order (so parsing both gives the same result). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function sidOf(raw: unknown): string {
  return isPlainObject(raw) && typeof raw.Sid === 'string' && raw.Sid !== '' ? ` (${raw.Sid})` : '';
}

// Sids never matter, also not for statements we could not read.
function withoutSid(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  const { Sid: _sid, ...rest } = raw;
  return rest;
}

function broken(raw: unknown, reason: string): NormalizedPolicy {
  return { ok: false, reason, raw, version: undefined, statements: [], problems: [reason], opaque: [canonicalJson(raw)] };
}
