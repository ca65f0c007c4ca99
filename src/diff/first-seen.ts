// First-seen tracking over a whole corpus in one pass. The diff itself stays pure: it only reads
// the SeenBefore sets this tracker maintains.
import { type Bits, type RangeBits, orInto, rangeIds, wordsFor } from './bitset.ts';
import type { Catalog } from './catalog.ts';
import { serviceOf } from './catalog.ts';
import { prepareDocument } from './diff.ts';
import type { PreparedStatement } from './prepare.ts';
import { SEEN_IDS, type SeenIds } from './enrich.ts';
import type { SeenBefore } from './types.ts';

/**
 * Accumulates the actions and services granted so far. Like the diff's first-seen flags it counts
 * only grants through Allow/Action patterns that name the service ("s3:Get*", "q:UsePlugin"):
 * "*" and NotAction statements would otherwise mark the whole (present-day) catalog as seen.
 */
export class FirstSeenTracker {
  private readonly actions = new Set<string>();
  private readonly services = new Set<string>();
  private readonly seenIds: Bits;

  constructor(private readonly catalog: Catalog) {
    this.seenIds = new Uint32Array(wordsFor(catalog.size));
  }

  /** Live read-only view; diff with it before recording the version being diffed. */
  get seenBefore(): SeenBefore {
    const ids: SeenIds = { catalog: this.catalog, ids: this.seenIds };
    return { actions: this.actions, services: this.services, [SEEN_IDS]: ids } as SeenBefore;
  }

  /** Add what a version grants. Accepts a raw document or a PreparedDocument of the same catalog. */
  record(doc: unknown): void {
    const prepared = prepareDocument(doc, this.catalog);
    const named: NamedGrants[] = [];
    let lo = this.seenIds.length;
    let hi = 0;
    for (const s of prepared.allow.statements) {
      if (s.stmt.notAction) continue;
      const n = namedGrants(s);
      for (const key of n.unknown) {
        this.actions.add(key);
        this.services.add(serviceOf(key));
      }
      if (n.bits.words.length === 0) continue;
      named.push(n);
      lo = Math.min(lo, n.bits.lo);
      hi = Math.max(hi, n.bits.lo + n.bits.words.length);
    }
    if (hi <= lo) return;
    // Granted but not seen yet. Only those ids turn into strings; after the first few hundred
    // versions that is few.
    const fresh: RangeBits = { lo, words: new Uint32Array(hi - lo) };
    for (const n of named) orInto(fresh.words, n.bits.words, n.bits.lo - lo);
    for (let i = 0; i < fresh.words.length; i++) fresh.words[i] = fresh.words[i]! & ~this.seenIds[lo + i]!;
    for (const id of rangeIds(fresh)) {
      this.actions.add(this.catalog.lowerNames[id] as string);
      this.services.add(this.catalog.service(id));
    }
    orInto(this.seenIds, fresh.words, lo);
  }

  /**
   * Visit items in AWS-date order (CreateDate, not when a poller saw them), recording each after
   * its visit. Items sharing one timestamp see the same SeenBefore: neither is earlier. Items
   * without a parseable date come last, as one batch, in their given order.
   */
  walk<T>(
    items: readonly T[],
    dateOf: (item: T) => Date | string | undefined,
    docOf: (item: T) => unknown,
    visit: (item: T, seenBefore: SeenBefore) => void,
  ): void {
    const keyed = items.map((item, i) => ({ item, i, t: timeOf(dateOf(item)) }));
    keyed.sort((x, y) => x.t - y.t || x.i - y.i);
    for (let start = 0; start < keyed.length; ) {
      let end = start + 1;
      while (end < keyed.length && keyed[end]!.t === keyed[start]!.t) end++;
      const batch = keyed.slice(start, end);
      for (const k of batch) visit(k.item, this.seenBefore);
      for (const k of batch) this.record(docOf(k.item));
      start = end;
    }
  }
}

function timeOf(date: Date | string | undefined): number {
  const t = date instanceof Date ? date.getTime() : typeof date === 'string' ? Date.parse(date) : NaN;
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
}

/** What an Allow/Action statement grants through patterns that name their service. */
interface NamedGrants {
  /** Patterns outside the catalog (lower-cased), in pattern order. */
  unknown: string[];
  /** Catalog actions. */
  bits: RangeBits;
}

// Statements are shared between the versions that repeat them (see prepare.ts), so this is worked
// out once per statement rather than once per pattern and version.
const namedGrantsOf = new WeakMap<PreparedStatement, NamedGrants>();

function namedGrants(s: PreparedStatement): NamedGrants {
  let n = namedGrantsOf.get(s);
  if (!n) {
    const unknown: string[] = [];
    let lo = Infinity;
    let hi = 0;
    for (const e of s.exps) {
      if (!e.namesService) continue;
      if (e.unknown !== undefined) unknown.push(e.unknown);
      else if (e.words.length > 0) {
        lo = Math.min(lo, e.lo);
        hi = Math.max(hi, e.lo + e.words.length);
      }
    }
    const bits: RangeBits = hi > lo ? { lo, words: new Uint32Array(hi - lo) } : { lo: 0, words: new Uint32Array(0) };
    for (const e of s.exps) if (e.namesService && e.unknown === undefined) orInto(bits.words, e.words, e.lo - bits.lo);
    namedGrantsOf.set(s, (n = { unknown, bits }));
  }
  return n;
}
