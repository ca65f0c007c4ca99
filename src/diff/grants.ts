// Whether one prepared document allows or denies one action, and through which patterns: the
// reverse index ("which policies grant X now") asks this of every current default version.
import { has, rangeHas } from './bitset.ts';
import type { PreparedDocument, Side } from './prepare.ts';
import { matchingPatterns } from './prepare.ts';
import type { Grant } from './types.ts';

export interface ActionCoverage {
  allowed: boolean;
  denied: boolean;
  /** Allow patterns as written (NotAction statements by their label) that cover the action. */
  via: string[];
  /** Resources and conditions of the allow statements that cover the action (one per distinct grant). */
  grants: Grant[];
}

export function coverage(doc: PreparedDocument, action: string): ActionCoverage {
  const key = action.toLowerCase();
  const id = doc.catalog.lookup(key);
  const sideVia = (side: Side) => {
    const via: string[] = [];
    const grants = new Map<string, Grant>();
    for (const s of side.statements) {
      const before = via.length;
      if (s.stmt.notAction) {
        // Catalog actions: the statement's cover set; others: covered unless a pattern excludes it.
        const covered = id >= 0 ? !!s.cover && has(s.cover, id) : matchingPatterns(s, key).length === 0;
        if (covered) via.push(s.label);
      } else {
        for (const i of matchingPatterns(s, key)) via.push(s.stmt.patterns[i] as string);
      }
      if (via.length > before && !grants.has(s.stmt.grantKey)) grants.set(s.stmt.grantKey, s.stmt.grant);
    }
    return { via: [...new Set(via)].sort(), grants: [...grants.values()] };
  };
  const allow = sideVia(doc.allow);
  const allowed = id >= 0 ? rangeHas(doc.allow.bits, id) : allow.via.length > 0;
  const denied = id >= 0 ? rangeHas(doc.deny.bits, id) : sideVia(doc.deny).via.length > 0;
  return { allowed, denied, via: allowed ? allow.via : [], grants: allowed ? allow.grants : [] };
}
