// Provable ordering of grants. covers(a, b) is true only when every request b allows, a allows too
// (a sound under-approximation: false means "could not prove", not "does not cover").
import { globMatch, hasWildcard } from './catalog.ts';
import type { CanonicalConditions, Grant, ScopeDirection } from './types.ts';

// Condition blocks are shared by every result and document that repeats the statement (they are
// immutable, see NormalizedStatement), so their clause sets are computed once per block.
const clauseSets = new WeakMap<CanonicalConditions, ReadonlySet<string>>();
const NO_CLAUSES: ReadonlySet<string> = new Set();

function clauses(c: CanonicalConditions | undefined): ReadonlySet<string> {
  if (!c) return NO_CLAUSES;
  let out = clauseSets.get(c);
  if (!out) {
    const set = new Set<string>();
    for (const [op, keys] of Object.entries(c)) {
      for (const [k, values] of Object.entries(keys)) set.add(JSON.stringify([op.toLowerCase(), k.toLowerCase(), values]));
    }
    clauseSets.set(c, (out = set));
  }
  return out;
}

// A resource glob p covers the glob q when p, read as a glob, matches q's text. Sound only if p has
// no '?': '?' could consume a '*' of q that stands for many characters.
function resourceCovers(p: string, q: string): boolean {
  if (p === q || p === '*') return true;
  if (!hasWildcard(p) || p.includes('?')) return false;
  return globMatch(p, q); // ARNs are case-sensitive, so no lower-casing here
}

export function covers(a: Grant, b: Grant): boolean {
  // Conditions are ANDed clauses: a is at most as strict when its clauses are a subset of b's.
  const ca = clauses(a.conditions);
  if (ca.size > 0) {
    const cb = clauses(b.conditions);
    for (const c of ca) if (!cb.has(c)) return false;
  }
  if (a.resources?.includes('*')) return true;
  if (a.resources && b.resources) return b.resources.every((q) => a.resources!.some((p) => resourceCovers(p, q)));
  // Fewer exclusions allow more: a's NotResource list a subset of b's.
  if (a.notResources && b.notResources) return a.notResources.every((r) => b.notResources!.includes(r));
  return false;
}

/** Every grant in `inner` is covered by some grant in `outer`. */
export function coversAll(outer: readonly Grant[], inner: readonly Grant[]): boolean {
  return inner.every((b) => outer.some((a) => covers(a, b)));
}

/**
 * Direction of a change in the grants of one action, as an effect on permissions. For Allow
 * grants more coverage broadens; for Deny grants more coverage narrows. 'equivalent' means both
 * sides provably allow the same requests (e.g. a redundant extra grant), so it is no change at all.
 */
export function scopeDirection(before: readonly Grant[], after: readonly Grant[], deny: boolean): ScopeDirection | 'equivalent' {
  const grew = coversAll(after, before); // after ⊇ before
  const shrank = coversAll(before, after); // before ⊇ after
  if (grew && shrank) return 'equivalent';
  if (grew) return deny ? 'narrowed' : 'broadened';
  if (shrank) return deny ? 'broadened' : 'narrowed';
  return 'unknown';
}
