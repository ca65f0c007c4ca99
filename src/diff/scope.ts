// Provable ordering of grants. covers(a, b) is true only when every request b allows, a allows too
// (a sound under-approximation: false means "could not prove", not "does not cover").
import { globMatcher, hasWildcard } from './catalog.ts';
import type { CanonicalConditions, Grant, ScopeDirection } from './types.ts';

function clauses(c: CanonicalConditions | undefined): Set<string> {
  const out = new Set<string>();
  if (!c) return out;
  for (const [op, keys] of Object.entries(c)) {
    for (const [k, values] of Object.entries(keys)) out.add(JSON.stringify([op.toLowerCase(), k.toLowerCase(), values]));
  }
  return out;
}

// A resource glob p covers the glob q when p, read as a glob, matches q's text. Sound only if p has
// no '?': '?' could consume a '*' of q that stands for many characters.
function resourceCovers(p: string, q: string): boolean {
  if (p === q || p === '*') return true;
  if (!hasWildcard(p) || p.includes('?')) return false;
  let m = matchers.get(p);
  if (!m) {
    if (matchers.size >= 4096) matchers.clear(); // bounded: resource patterns are open-ended input
    matchers.set(p, (m = globMatcher(p)));
  }
  return m(q); // ARNs are case-sensitive, so no lower-casing here
}

const matchers = new Map<string, (text: string) => boolean>();

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
