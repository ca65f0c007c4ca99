// Whether one prepared document allows or denies one action, and through which patterns: the
// reverse index ("which policies grant X now") asks this of every current default version.
import { has, rangeHas } from './bitset.ts';
import type { PreparedDocument, Side } from './prepare.ts';
import type { Grant } from './types.ts';
import { matchingPatterns } from './prepare.ts';

export interface ActionCoverage {
  allowed: boolean;
  denied: boolean;
  /** Allow patterns as written (NotAction statements by their label) that cover the action. */
  via: string[];
  /** Resources and conditions of the allowing statements (one per distinct grant), in grant order. */
  grants: Grant[];
}

export function coverage(doc: PreparedDocument, action: string): ActionCoverage {
  const key = action.toLowerCase();
  const id = doc.catalog.lookup(key);
  const sideVia = (side: Side): string[] => {
    const via: string[] = [];
    for (const s of side.statements) {
      if (s.stmt.notAction) {
        // Catalog actions: the statement's cover set; others: covered unless a pattern excludes it.
        const covered = id >= 0 ? !!s.cover && has(s.cover, id) : matchingPatterns(s, key).length === 0;
        if (covered) via.push(s.label);
      } else {
        for (const i of matchingPatterns(s, key)) via.push(s.stmt.patterns[i] as string);
      }
    }
    return [...new Set(via)].sort();
  };
  const allowVia = sideVia(doc.allow);
  const allowed = id >= 0 ? rangeHas(doc.allow.bits, id) : allowVia.length > 0;
  const denied = id >= 0 ? rangeHas(doc.deny.bits, id) : sideVia(doc.deny).length > 0;
  if (!allowed) return { allowed, denied, via: [], grants: [] };
  // Catalog actions: the grant groups whose sets hold the action; others: the statements whose
  // patterns (or NotAction exclusions) let it through, one grant each.
  let grants: Grant[];
  if (id >= 0) grants = doc.allow.groups.filter((g) => rangeHas(g.bits, id)).map((g) => g.grant);
  else {
    const keys = new Set<string>();
    for (const s of doc.allow.statements) {
      const covered = s.stmt.notAction ? matchingPatterns(s, key).length === 0 : matchingPatterns(s, key).length > 0;
      if (covered) keys.add(s.stmt.grantKey);
    }
    grants = doc.allow.groups.filter((g) => keys.has(g.key)).map((g) => g.grant);
  }
  return { allowed, denied, via: allowVia, grants };
}
