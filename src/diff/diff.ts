// The diff: set algebra over prepared documents, then named verdicts. Pure and synchronous.
//
// Effective sets (the contract):
//   allowed(doc) = ∪ over Allow statements of expand(Action), or catalog − expand(NotAction);
//   denied(doc)  = the same over Deny statements. Resource and Condition do not affect membership;
//   they form the statement's grant, and an action allowed (denied) on both sides whose set of
//   grants differs is a scope change.
// Actions outside the catalog (unknown literals, wildcards matching nothing) are opaque members
// keyed by lower-cased text. The universe of a pair is the catalog plus the unknown keys of both
// documents, so a NotAction statement covers an unknown action named by the other document too.
import { type Bits, type RangeBits, has, intersect, isEmpty, minus, orRangeInto, orXorInto, rangeHas, rangeIds } from './bitset.ts';
import type { Catalog } from './catalog.ts';
import { serviceOf } from './catalog.ts';
import { FIRST_SEEN_ACTION, FIRST_SEEN_SERVICE, flagList, seenIdsOf, staticFlagBits } from './enrich.ts';
import { cmp } from './normalize.ts';
import { PreparedDocument, type Side, keepMin, literalKey, matchingPatterns } from './prepare.ts';
import { scopeDirection } from './scope.ts';
import type { ActionEntry, DiffOptions, DiffResult, Grant, ScopeChange, ScopeDirection, SeenBefore } from './types.ts';

/** Prepare a document once for several diffs (a history walk uses each version twice). */
export function prepareDocument(doc: unknown, catalog: Catalog): PreparedDocument {
  return doc instanceof PreparedDocument && doc.catalog === catalog ? doc : new PreparedDocument(raw(doc), catalog);
}

function raw(doc: unknown): unknown {
  return doc instanceof PreparedDocument ? doc.policy.raw : doc;
}

const EMPTY_DOCUMENT = { Statement: [] };

/**
 * Semantic diff of two versions of a policy. Either side may be a raw document (object or JSON
 * text) or a PreparedDocument. `oldDoc === undefined` means "no previous version": the new
 * document is compared with one that allows and denies nothing (see createdSummary).
 */
export function diffDocuments(oldDoc: unknown, newDoc: unknown, catalog: Catalog, options: DiffOptions = {}): DiffResult {
  const created = oldDoc === undefined;
  const a = prepareDocument(created ? EMPTY_DOCUMENT : oldDoc, catalog);
  const b = prepareDocument(newDoc, catalog);
  return new PairDiff(a, b, catalog, created, options.seenBefore).result();
}

/**
 * A policy's first version: everything it allows is `effective.added`, everything it denies is
 * `deny.added`, every pattern is `literal.added`. kind is 'permissions_changed' when it allows or
 * denies anything (callers label the event 'created' themselves), 'cosmetic' otherwise.
 */
export function createdSummary(doc: unknown, catalog: Catalog, options: DiffOptions = {}): DiffResult {
  return diffDocuments(undefined, doc, catalog, options);
}

interface UnknownCoverage {
  allow: string[];
  deny: string[];
}

interface Scope {
  before: Grant[];
  after: Grant[];
  direction: ScopeDirection | 'equivalent';
}

class PairDiff {
  private readonly unknownKeys: string[];
  private readonly unknownName = new Map<string, string>();
  private readonly covA = new Map<string, UnknownCoverage>();
  private readonly covB = new Map<string, UnknownCoverage>();
  private readonly seenIds: Bits | undefined;

  constructor(
    private readonly a: PreparedDocument,
    private readonly b: PreparedDocument,
    private readonly catalog: Catalog,
    private readonly created: boolean,
    private readonly seen: SeenBefore | undefined,
  ) {
    this.seenIds = seenIdsOf(seen, catalog);
    for (const doc of [a, b]) for (const [k, v] of doc.unknown) keepMin(this.unknownName, k, v);
    this.unknownKeys = [...this.unknownName.keys()].sort();
    for (const k of this.unknownKeys) {
      this.covA.set(k, { allow: a.unknownGrantKeys(a.allow, k), deny: a.unknownGrantKeys(a.deny, k) });
      this.covB.set(k, { allow: b.unknownGrantKeys(b.allow, k), deny: b.unknownGrantKeys(b.deny, k) });
    }
  }

  result(): DiffResult {
    const { a, b } = this;
    const problems = [
      ...(this.created ? [] : a.policy.problems.map((p) => `old: ${p}`)),
      ...b.policy.problems.map((p) => `new: ${p}`),
    ];
    const base = { catalogVersion: this.catalog.version, ...(problems.length ? { problems } : {}) };
    if (!this.created && a.sameDocument(b)) {
      return {
        kind: 'metadata_only',
        broadened: false,
        narrowed: false,
        effective: { added: [], removed: [], scopeChanged: [] },
        deny: { added: [], removed: [], scopeChanged: [] },
        literal: { added: [], removed: [] },
        ...base,
      };
    }

    const added = this.entries(idsOnlyIn(b.allow, a.allow), this.unknownOnly('allow', this.covB, this.covA), b, b.allow, true);
    const removed = this.entries(idsOnlyIn(a.allow, b.allow), this.unknownOnly('allow', this.covA, this.covB), a, a.allow, false);
    const denyAdded = this.entries(idsOnlyIn(b.deny, a.deny), this.unknownOnly('deny', this.covB, this.covA), b, b.deny, false);
    const denyRemoved = this.entries(idsOnlyIn(a.deny, b.deny), this.unknownOnly('deny', this.covA, this.covB), a, a.deny, false);
    const scopeChanged = this.scopeChanges(a.allow, b.allow, 'allow');
    const denyScopeChanged = this.scopeChanges(a.deny, b.deny, 'deny');

    // Parts we could not interpret changed: no claim about direction is possible, so both.
    const opaqueChanged = a.policy.opaque.join('\n') !== b.policy.opaque.join('\n');
    // Policy variables (${aws:username}) are only substituted under Version 2012-10-17.
    const versionMatters = a.policy.version !== b.policy.version && !this.created && (a.canonical.includes('${') || b.canonical.includes('${'));
    if (versionMatters) problems.push(`Version changed (${a.policy.version ?? 'none'} → ${b.policy.version ?? 'none'}) in a document using policy variables`);
    const unsure = opaqueChanged || versionMatters;

    const scopes = [...scopeChanged, ...denyScopeChanged];
    const broadened =
      unsure || added.length > 0 || denyRemoved.length > 0 || scopes.some((s) => s.direction !== 'narrowed');
    const narrowed =
      unsure || removed.length > 0 || denyAdded.length > 0 || scopes.some((s) => s.direction !== 'broadened');
    return {
      kind: broadened || narrowed ? 'permissions_changed' : 'cosmetic',
      broadened,
      narrowed,
      effective: { added, removed, scopeChanged },
      deny: { added: denyAdded, removed: denyRemoved, scopeChanged: denyScopeChanged },
      literal: this.literal(),
      catalogVersion: this.catalog.version,
      ...(problems.length ? { problems } : {}),
    };
  }

  private unknownOnly(effect: 'allow' | 'deny', inSide: Map<string, UnknownCoverage>, notInSide: Map<string, UnknownCoverage>): string[] {
    return this.unknownKeys.filter((k) => (inSide.get(k)?.[effect].length ?? 0) > 0 && (notInSide.get(k)?.[effect].length ?? 0) === 0);
  }

  /** Entries for catalog ids in `mask` plus unknown keys, described from `doc`'s side. */
  private entries(mask: RangeBits, unknownKeys: string[], doc: PreparedDocument, side: Side, firstSeen: boolean): ActionEntry[] {
    const out: ActionEntry[] = [];
    this.catalogEntries(mask, side, firstSeen, out);
    if (unknownKeys.length === 0) return out;
    const viaMemo = new Map<string, string[]>();
    for (const key of unknownKeys) {
      const vias = new Set<string>();
      let isNamed = false;
      for (const s of side.statements) {
        const hits = matchingPatterns(s, key);
        if (s.stmt.notAction) {
          if (hits.length === 0) vias.add(s.label);
        } else {
          for (const i of hits) {
            vias.add(s.stmt.patterns[i] as string);
            if (s.exps[i]!.namesService) isNamed = true;
          }
        }
      }
      const grantKeys = doc.unknownGrantKeys(side, key);
      const service = serviceOf(key);
      const flags = staticFlagBits(key, 'unknown', true) | (firstSeen ? this.firstSeenBits(-1, key, service, isNamed) : 0);
      out.push({
        action: this.unknownName.get(key) ?? key,
        service,
        accessLevel: 'unknown',
        flags: flagList(flags),
        via: sortVia([...vias], viaMemo),
        grants: grantKeys.map((k) => side.groupByKey.get(k)?.grant ?? {}),
      });
    }
    out.sort(byAction);
    return out;
  }

  /**
   * Entries for the catalog ids in `mask`, ascending. This is the hot loop of the diff (a '*'
   * policy's created summary has 20,000+ entries), so nothing is allocated per entry except the
   * entry itself: flags, via and grant lists are shared between entries that have equal ones.
   */
  private catalogEntries(mask: RangeBits, side: Side, firstSeen: boolean, out: ActionEntry[]): void {
    const catalog = this.catalog;
    // Number the ids of the mask 0..n-1 so per-id state fits in small arrays.
    const pos = catalog.positionScratch();
    const { lo, words } = mask;
    let n = 0;
    for (let w = 0; w < words.length; w++) {
      for (let word = words[w]!; word !== 0; word &= word - 1) pos[((lo + w) << 5) + (31 - Math.clz32(word & -word))] = n++;
    }
    if (n === 0) return;
    // via: walk each pattern's expansion once, restricted to the ids we report.
    const vias = new ViaLists(n);
    for (const s of side.statements) {
      if (s.cover) {
        vias.add(s.cover, 0, mask, pos, s.label, false);
        continue;
      }
      const patterns = s.stmt.patterns;
      for (let i = 0; i < s.exps.length; i++) {
        const e = s.exps[i]!;
        if (e.count > 0) vias.add(e.words, e.lo, mask, pos, patterns[i] as string, e.namesService);
      }
    }
    const grantMemo = new Map<number | string, Grant[]>();
    const staticBits = staticFlagTable(catalog);
    const groups = side.groups;
    let lastSig: number | string = -1;
    let grants: Grant[] = [];
    let idx = 0;
    for (let w = 0; w < words.length; w++) {
      for (let word = words[w]!; word !== 0; word &= word - 1, idx++) {
        const id = ((lo + w) << 5) + (31 - Math.clz32(word & -word));
        // Which groups hold the id, as a small-integer signature (no allocation) when there are few.
        let sig: number | string = 0;
        if (groups.length <= 30) {
          for (let gi = 0; gi < groups.length; gi++) if (rangeHas(groups[gi]!.bits, id)) sig |= 1 << gi;
        } else {
          sig = groups.map((g) => (rangeHas(g.bits, id) ? '1' : '0')).join('');
        }
        if (sig !== lastSig) {
          lastSig = sig; // neighbouring ids mostly have the same grants
          const hit = grantMemo.get(sig);
          if (hit) grants = hit;
          else grantMemo.set(sig, (grants = groups.filter((g) => rangeHas(g.bits, id)).map((g) => g.grant)));
        }
        const service = catalog.service(id);
        let flags = staticBits[id]!;
        if (firstSeen) flags |= this.firstSeenBits(id, catalog.lowerNames[id] as string, service, vias.named[idx] === 1);
        out.push({ action: catalog.names[id] as string, service, accessLevel: catalog.accessLevel(id), flags: flagList(flags), via: vias.sorted(idx), grants });
      }
    }
  }

  // First-seen is judged only for actions granted by a pattern that names their service: '*' or a
  // NotAction statement would otherwise mark every catalog action "seen" from 2015 on, expanded
  // with today's catalog, and the flag would never fire.
  // `id` is the catalog id, or -1 for an action outside the catalog.
  private firstSeenBits(id: number, lower: string, service: string, named: boolean): number {
    if (!this.seen || !named) return 0;
    const seenAction = id >= 0 && this.seenIds ? has(this.seenIds, id) : this.seen.actions.has(lower);
    return (seenAction ? 0 : FIRST_SEEN_ACTION) | (this.seen.services.has(service) ? 0 : FIRST_SEEN_SERVICE);
  }

  private scopeChanges(sa: Side, sb: Side, effect: 'allow' | 'deny'): ScopeChange[] {
    const deny = effect === 'deny';
    const out: ScopeChange[] = [];
    const memo = new Map<string, Scope>();
    const describe = (before: string[], after: string[]): Scope => {
      const sig = before.join('\0') + '\u0001' + after.join('\0');
      let s = memo.get(sig);
      if (!s) {
        const bg = before.map((k) => (sa.groupByKey.get(k) as { grant: Grant }).grant);
        const ag = after.map((k) => (sb.groupByKey.get(k) as { grant: Grant }).grant);
        memo.set(sig, (s = { before: bg, after: ag, direction: scopeDirection(bg, ag, deny) }));
      }
      return s;
    };
    const push = (action: string, lower: string, service: string, accessLevel: ScopeChange['accessLevel'], unknown: boolean, s: Scope) => {
      if (s.direction === 'equivalent') return;
      out.push({ action, service, accessLevel, flags: flagList(staticFlagBits(lower, accessLevel, unknown)), before: s.before, after: s.after, direction: s.direction });
    };

    // Catalog actions: the grant sets differ exactly where some group's membership differs.
    const both = intersect(sa.bits, sb.bits);
    if (!isEmpty(both.words)) {
      const differs: RangeBits = { lo: both.lo, words: new Uint32Array(both.words.length) };
      for (const key of new Set([...sa.groupByKey.keys(), ...sb.groupByKey.keys()])) {
        const ga = sa.groupByKey.get(key)?.bits;
        const gb = sb.groupByKey.get(key)?.bits;
        if (ga && gb) orXorInto(differs, ga, gb);
        else orRangeInto(differs, (ga ?? gb) as RangeBits);
      }
      // Group membership per id as a small-integer signature when possible (thousands of ids
      // share a handful of signatures when a NotAction statement's grant changes).
      const small = sa.groups.length <= 15 && sb.groups.length <= 15;
      const bySig = new Map<number, Scope>();
      for (let i = 0; i < both.words.length; i++) both.words[i] = both.words[i]! & differs.words[i]!;
      for (const id of rangeIds(both)) {
        let scope: Scope | undefined;
        let sig = 0;
        if (small) {
          for (let i = 0; i < sa.groups.length; i++) if (rangeHas(sa.groups[i]!.bits, id)) sig |= 1 << i;
          for (let i = 0; i < sb.groups.length; i++) if (rangeHas(sb.groups[i]!.bits, id)) sig |= 1 << (i + 15);
          scope = bySig.get(sig);
        }
        if (!scope) {
          const before = sa.groups.filter((g) => rangeHas(g.bits, id)).map((g) => g.key);
          const after = sb.groups.filter((g) => rangeHas(g.bits, id)).map((g) => g.key);
          scope = describe(before, after);
          if (small) bySig.set(sig, scope);
        }
        push(this.catalog.names[id] as string, this.catalog.lowerNames[id] as string, this.catalog.service(id), this.catalog.accessLevel(id), false, scope);
      }
    }
    for (const key of this.unknownKeys) {
      const before = this.covA.get(key)?.[effect] ?? [];
      const after = this.covB.get(key)?.[effect] ?? [];
      if (before.length === 0 || after.length === 0 || before.join('\0') === after.join('\0')) continue;
      push(this.unknownName.get(key) ?? key, key, serviceOf(key), 'unknown', true, describe(before, after));
    }
    out.sort(byAction);
    return out;
  }

  private literal(): { added: string[]; removed: string[] } {
    const { a, b } = this;
    const onlyIn = (x: PreparedDocument, y: PreparedDocument) => {
      // A statement both documents share (one object per distinct statement, see normalize.ts)
      // has all its keys in both, so only the other statements' keys are looked up.
      const shared = new Set(y.policy.statements);
      const other = y.literal;
      const keys = new Set<string>();
      for (const s of x.policy.statements) {
        if (shared.has(s)) continue;
        const prefix = literalKey(s.effect, s.notAction, '').toLowerCase();
        for (const l of s.lowerPatterns) if (!other.has(prefix + l)) keys.add(prefix + l);
      }
      const map = x.literal;
      return [...keys].sort(cmp).map((k) => map.get(k) as string); // keys are unique: no tie-breaker
    };
    return { added: onlyIn(b, a), removed: onlyIn(a, b) };
  }
}

// Patterns differing only in case are one pattern; keep the smallest spelling. Entries with the
// same patterns share one array (a '*' policy has 20,000+ entries with via ["*"]).
function sortVia(patterns: string[] | undefined, memo: Map<string, string[]>): string[] {
  if (!patterns || patterns.length === 0) return [];
  const sig = patterns.join('\0');
  let out = memo.get(sig);
  if (!out) memo.set(sig, (out = sortPatterns(patterns)));
  return out;
}

function sortPatterns(patterns: readonly string[]): string[] {
  if (patterns.length === 1) return [patterns[0] as string];
  const byLower = new Map<string, string>();
  for (const p of patterns) keepMin(byLower, p.toLowerCase(), p);
  return [...byLower.entries()].sort((x, y) => cmp(x[0], y[0])).map(([, v]) => v);
}

/**
 * The via lists of one entries() pass, interned. Each reported id (by position) holds the number
 * of its list; adding a pattern to a list is memoised per list, so 20,000 ids granted by '*'
 * share one list and the walk allocates nothing per id. List 0 is the empty list.
 */
class ViaLists {
  /** Per position: 1 when a pattern naming the service grants the id (see first-seen). */
  readonly named: Uint8Array;
  private readonly of: Int32Array;
  private readonly lists: string[][] = [[]];
  private readonly next: (Map<string, number> | undefined)[] = [undefined];
  private readonly sortedLists: (string[] | undefined)[] = [];

  constructor(n: number) {
    this.named = new Uint8Array(n);
    this.of = new Int32Array(n);
  }

  /** Add `pattern` to the lists of the ids set in both `words` (from word lo) and `mask`. */
  add(words: Bits, lo: number, mask: RangeBits, pos: Int32Array, pattern: string, namesService: boolean): void {
    let from = -1;
    let to = 0;
    const end = Math.min(lo + words.length, mask.lo + mask.words.length);
    for (let w = Math.max(lo, mask.lo); w < end; w++) {
      for (let word = words[w - lo]! & mask.words[w - mask.lo]!; word !== 0; word &= word - 1) {
        const p = pos[(w << 5) + (31 - Math.clz32(word & -word))]!;
        const cur = this.of[p]!;
        if (cur !== from) to = this.with((from = cur), pattern); // neighbours mostly share a list
        this.of[p] = to;
        if (namesService) this.named[p] = 1;
      }
    }
  }

  private with(list: number, pattern: string): number {
    let next = this.next[list];
    if (!next) this.next[list] = next = new Map();
    let to = next.get(pattern);
    if (to === undefined) {
      const patterns = this.lists[list]!;
      if (patterns.includes(pattern)) to = list;
      else {
        to = this.lists.push([...patterns, pattern]) - 1;
        this.next.push(undefined);
      }
      next.set(pattern, to);
    }
    return to;
  }

  /** The sorted via list of the id at position p (shared by every id with the same patterns). */
  sorted(p: number): string[] {
    const list = this.of[p]!;
    if (list === 0) return [];
    return (this.sortedLists[list] ??= sortPatterns(this.lists[list]!));
  }
}

// Static flag bits per catalog id, computed once per catalog.
const staticFlagTables = new WeakMap<Catalog, Uint8Array>();

function staticFlagTable(catalog: Catalog): Uint8Array {
  let table = staticFlagTables.get(catalog);
  if (!table) {
    table = new Uint8Array(catalog.size);
    for (let id = 0; id < catalog.size; id++) table[id] = staticFlagBits(catalog.lowerNames[id] as string, catalog.accessLevel(id), false);
    staticFlagTables.set(catalog, table);
  }
  return table;
}

/** Catalog ids in x but not in y. */
function idsOnlyIn(x: Side, y: Side): RangeBits {
  return minus(x.bits, y.bits);
}

function byAction(x: { action: string }, y: { action: string }): number {
  return cmp(x.action.toLowerCase(), y.action.toLowerCase()) || cmp(x.action, y.action);
}
