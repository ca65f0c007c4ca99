// First-seen tracking over a whole corpus in one pass. The diff itself stays pure: it only reads
// the SeenBefore sets this tracker maintains.
import { type Bits, andNot, ids, orInto, wordsFor } from './bitset.ts';
import type { Catalog } from './catalog.ts';
import { serviceOf } from './catalog.ts';
import { prepareDocument } from './diff.ts';
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
    return { actions: this.actions, services: this.services };
  }

  /** Add what a version grants. Accepts a raw document or a PreparedDocument of the same catalog. */
  record(doc: unknown): void {
    const prepared = prepareDocument(doc, this.catalog);
    const granted = new Uint32Array(this.seenIds.length);
    for (const s of prepared.allow.statements) {
      if (s.stmt.notAction) continue;
      for (const e of s.exps) {
        if (!e.namesService) continue;
        if (e.unknown !== undefined) {
          this.actions.add(e.unknown);
          this.services.add(serviceOf(e.unknown));
        } else {
          orInto(granted, e.words, e.lo);
        }
      }
    }
    // Only ids not seen yet turn into strings; after the first few hundred versions that is few.
    for (const id of ids(andNot(granted, this.seenIds))) {
      this.actions.add(this.catalog.lowerNames[id] as string);
      this.services.add(this.catalog.service(id));
    }
    orInto(this.seenIds, granted);
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
