// A policy document resolved against a catalog: per-effect bit sets of covered actions, grouped by
// grant. Preparing is the expensive step; a caller diffing a whole history prepares each version
// once and passes the PreparedDocument to diffDocuments twice (as new, then as old).
import { type Bits, type RangeBits, orInto, wordsFor } from './bitset.ts';
import { type Catalog, type Expansion, serviceOf } from './catalog.ts';
import { canonicalEqual, canonicalJson } from './canonical.ts';
import { type Effect, type NormalizedPolicy, type NormalizedStatement, cmp, normalizePolicy } from './normalize.ts';
import type { Grant } from './types.ts';

export interface PreparedStatement {
  stmt: NormalizedStatement;
  /** Expansion of stmt.patterns[i] (parallel arrays: one object per pattern adds up over a corpus). */
  exps: Expansion[];
  /** NotAction statements only: the catalog actions covered (catalog minus the patterns). */
  cover: Bits | undefined;
  /** The "via" label of a NotAction statement. */
  label: string;
}

export interface GrantGroup {
  key: string;
  grant: Grant;
  spelling: string;
  /** Catalog actions covered by statements of this effect that carry this grant. */
  bits: RangeBits;
}

export interface Side {
  effect: Effect;
  /** Catalog actions covered by statements of this effect. */
  bits: RangeBits;
  statements: PreparedStatement[];
  groups: GrantGroup[];
  groupByKey: Map<string, GrantGroup>;
}

const NO_WORDS = new Uint32Array(0);

export class PreparedDocument {
  readonly catalog: Catalog;
  readonly policy: NormalizedPolicy;
  private canonicalText: string | undefined;
  readonly allow: Side;
  readonly deny: Side;
  /** Patterns that resolve to no catalog action: lower-cased key → display spelling. */
  readonly unknown: Map<string, string>;
  private literalMap: Map<string, string> | undefined;
  private readonly unknownMemo: Partial<Record<Effect, Map<string, string[]>>> = {};

  constructor(doc: unknown, catalog: Catalog) {
    this.catalog = catalog;
    this.policy = normalizePolicy(doc);
    this.unknown = new Map();
    this.allow = this.side('Allow');
    this.deny = this.side('Deny');
  }

  private side(effect: Effect): Side {
    const catalog = this.catalog;
    const statements: ResolvedStatement[] = [];
    const groupByKey = new Map<string, GrantGroup>();
    // Pass 1: resolve patterns, and find the word range of the side and of each grant group so
    // each set is allocated once, over the words it needs (most policies touch a few services).
    let sideLo = Infinity;
    let sideHi = 0;
    const range = new Map<string, { lo: number; hi: number }>();
    for (const stmt of this.policy.statements) {
      if (stmt.effect !== effect) continue;
      const resolved = resolveStatement(stmt, catalog);
      const { exps, own } = resolved;
      const lo = own.lo;
      const hi = own.lo + own.words.length;
      for (const i of resolved.unknownAt) keepMin(this.unknown, exps[i]!.unknown as string, displayUnknown(stmt.patterns[i] as string));
      if (hi > lo) {
        sideLo = Math.min(sideLo, lo);
        sideHi = Math.max(sideHi, hi);
      }
      statements.push(resolved);
      const r = range.get(stmt.grantKey);
      if (!r) range.set(stmt.grantKey, { lo, hi });
      else {
        r.lo = Math.min(r.lo, lo);
        r.hi = Math.max(r.hi, hi);
      }
      const g = groupByKey.get(stmt.grantKey);
      if (!g) groupByKey.set(stmt.grantKey, { key: stmt.grantKey, grant: stmt.grant, spelling: stmt.grantSpelling, bits: { lo: 0, words: NO_WORDS } });
      else if (stmt.grantSpelling < g.spelling) {
        // one grant spelled differently (condition key case): keep one spelling, deterministically
        g.grant = stmt.grant;
        g.spelling = stmt.grantSpelling;
      }
    }
    // Pass 2: fill the side's set and the groups.
    const bits: RangeBits = sideHi > sideLo ? { lo: sideLo, words: new Uint32Array(sideHi - sideLo) } : { lo: 0, words: NO_WORDS };
    for (const [key, r] of range) {
      const g = groupByKey.get(key) as GrantGroup;
      g.bits = r.hi > r.lo ? { lo: r.lo, words: new Uint32Array(r.hi - r.lo) } : { lo: 0, words: NO_WORDS };
    }
    for (const s of statements) {
      if (s.own.words.length === 0) continue;
      orInto(bits.words, s.own.words, s.own.lo - bits.lo);
      const g = groupByKey.get(s.stmt.grantKey) as GrantGroup;
      orInto(g.bits.words, s.own.words, s.own.lo - g.bits.lo);
    }
    const groups = [...groupByKey.values()].sort((a, b) => cmp(a.key, b.key));
    return { effect, bits, statements, groups, groupByKey };
  }

  /** canonicalJson of the interpreted document (JSON text and its parsed form are one document). */
  get canonical(): string {
    return (this.canonicalText ??= canonicalJson(this.policy.raw));
  }

  /** Same canonical document as another prepared one (metadata-only change). */
  sameDocument(other: PreparedDocument): boolean {
    if (this.canonicalText !== undefined && other.canonicalText !== undefined) return this.canonicalText === other.canonicalText;
    return canonicalEqual(this.policy.raw, other.policy.raw);
  }

  /** Literal view: lower-cased literal key → spelling as written (see literalKey). Built on first use. */
  get literal(): Map<string, string> {
    if (!this.literalMap) {
      const map = new Map<string, string>();
      for (const stmt of this.policy.statements) {
        const prefix = literalKey(stmt.effect, stmt.notAction, '');
        const lowerPrefix = prefix.toLowerCase();
        const { patterns, lowerPatterns } = stmt;
        for (let i = 0; i < patterns.length; i++) keepMin(map, lowerPrefix + (lowerPatterns[i] as string), prefix + (patterns[i] as string));
      }
      this.literalMap = map;
    }
    return this.literalMap;
  }

  /** Sorted grant keys of this side's statements covering an action outside the catalog. */
  unknownGrantKeys(side: Side, lowerKey: string): string[] {
    const memo = (this.unknownMemo[side.effect] ??= new Map()); // a history walk asks each version twice
    const hit = memo.get(lowerKey);
    if (hit) return hit;
    const keys = new Set<string>();
    for (const s of side.statements) {
      if (anyPatternMatches(s, lowerKey) !== s.stmt.notAction) keys.add(s.stmt.grantKey);
    }
    const out = [...keys].sort();
    memo.set(lowerKey, out);
    return out;
  }
}

// Per statement: pattern indices by the service they name, plus those with a wildcard service.
// An unknown key is only tested against its own service's patterns, not all of them (ReadOnlyAccess
// has thousands of patterns and dozens of actions the catalog lacks).
const patternIndex = new WeakMap<PreparedStatement, { byService: Map<string, number[]>; global: number[] }>();

function patternIndexOf(s: PreparedStatement): { byService: Map<string, number[]>; global: number[] } {
  let index = patternIndex.get(s);
  if (!index) {
    index = { byService: new Map(), global: [] };
    for (let i = 0; i < s.exps.length; i++) {
      const svc = s.exps[i]!.service;
      if (svc === undefined) index.global.push(i);
      else {
        const list = index.byService.get(svc);
        if (list) list.push(i);
        else index.byService.set(svc, [i]);
      }
    }
    patternIndex.set(s, index);
  }
  return index;
}

const NO_INDICES: readonly number[] = [];

/** Indices of the statement's patterns matching a lower-cased action (or opaque pattern) key. */
export function matchingPatterns(s: PreparedStatement, lowerKey: string): number[] {
  const index = patternIndexOf(s);
  const out: number[] = [];
  for (const i of index.byService.get(serviceOf(lowerKey)) ?? NO_INDICES) if (s.exps[i]!.matches(lowerKey)) out.push(i);
  for (const i of index.global) if (s.exps[i]!.matches(lowerKey)) out.push(i);
  return out.sort((x, y) => x - y);
}

/** matchingPatterns(s, lowerKey).length > 0, without building the list. */
export function anyPatternMatches(s: PreparedStatement, lowerKey: string): boolean {
  const index = patternIndexOf(s);
  for (const i of index.byService.get(serviceOf(lowerKey)) ?? NO_INDICES) if (s.exps[i]!.matches(lowerKey)) return true;
  for (const i of index.global) if (s.exps[i]!.matches(lowerKey)) return true;
  return false;
}

interface ResolvedStatement extends PreparedStatement {
  /** The catalog actions the statement covers, over the word range they fall in. */
  own: RangeBits;
  /** Indices of the patterns that resolve to no catalog action. */
  unknownAt: number[];
}

// Resolving a statement against the catalog depends only on the two, and normalised statements
// are shared between versions that repeat them, so the work is cached by identity.
const resolvedCache = new WeakMap<Catalog, WeakMap<NormalizedStatement, ResolvedStatement>>();

function resolveStatement(stmt: NormalizedStatement, catalog: Catalog): ResolvedStatement {
  let perCatalog = resolvedCache.get(catalog);
  if (!perCatalog) resolvedCache.set(catalog, (perCatalog = new WeakMap()));
  const hit = perCatalog.get(stmt);
  if (hit) return hit;
  const words = wordsFor(catalog.size);
  const exps: Expansion[] = stmt.lowerPatterns.map((l) => catalog.expandLower(l));
  let lo = words;
  let hi = 0;
  let cover: Bits | undefined;
  if (stmt.notAction) {
    cover = new Uint32Array(catalog.all());
    for (const e of exps) andNotRange(cover, e.words, e.lo);
    lo = 0;
    hi = words;
  } else {
    for (const e of exps) {
      if (e.count === 0) continue;
      if (e.lo < lo) lo = e.lo;
      if (e.lo + e.words.length > hi) hi = e.lo + e.words.length;
    }
  }
  const own: RangeBits = { lo: hi > lo ? lo : 0, words: new Uint32Array(Math.max(0, hi - lo)) };
  if (cover) own.words.set(cover);
  else for (const e of exps) if (e.count > 0) orInto(own.words, e.words, e.lo - own.lo);
  const label = stmt.notAction ? `NotAction: ${stmt.patterns.join(', ')}` : '';
  const unknownAt: number[] = [];
  for (let i = 0; i < exps.length; i++) if (exps[i]!.unknown !== undefined) unknownAt.push(i);
  const resolved = { stmt, exps, cover, label, own, unknownAt };
  perCatalog.set(stmt, resolved);
  return resolved;
}

function andNotRange(target: Bits, src: Bits, lo: number): void {
  for (let i = 0; i < src.length; i++) target[lo + i] = (target[lo + i] ?? 0) & ~(src[i] ?? 0);
}

/**
 * Literal-view key of a pattern: Allow/Action patterns as written, others prefixed so that moving
 * a pattern between Allow and Deny, or between Action and NotAction, shows up.
 */
export function literalKey(effect: Effect, notAction: boolean, pattern: string): string {
  return (effect === 'Deny' ? 'Deny ' : '') + (notAction ? 'NotAction ' : '') + pattern;
}

// Unknown actions cannot take the catalog's spelling; the service is lower-cased (services are
// lower-case everywhere in IAM) and the action part kept as written.
export function displayUnknown(written: string): string {
  const i = written.indexOf(':');
  return i < 0 ? written : serviceOf(written) + written.slice(i);
}

// Several spellings of one case-insensitive key: keep the smallest, which does not depend on the
// order the documents list them in.
export function keepMin(map: Map<string, string>, key: string, spelling: string): void {
  const cur = map.get(key);
  if (cur === undefined || spelling < cur) map.set(key, spelling);
}
