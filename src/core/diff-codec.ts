// Compact storage form of a diff. A wildcard or NotAction statement can put thousands of
// actions in one event, each naming the same grant and pattern lists; stored naively one event
// can pass Postgres' 256 MB jsonb limit. Packing keeps each distinct list once and entries point
// at it; unpacking restores the API shape exactly.
import type { JsonValue } from './history.ts';

/** Where a statement lets an action apply (the diff engine's Grant, as stored). */
interface StoredGrant { resources?: string[]; notResources?: string[]; conditions?: Record<string, Record<string, string[]>> }
interface Entry { action: string; service: string; accessLevel: string; flags: string[]; via: string[]; grants: StoredGrant[] }
interface Scope { action: string; service: string; accessLevel: string; flags: string[]; before: StoredGrant[]; after: StoredGrant[]; direction?: string }
export interface DiffBody {
  effective: { added: Entry[]; removed: Entry[]; scopeChanged: Scope[] };
  deny: { added: Entry[]; removed: Entry[]; scopeChanged: Scope[] };
  literal: { added: string[]; removed: string[] };
  problems?: string[];
}

type PackedEntry = [string, string, string, string[], number, number];
type PackedScope = [string, string, string, string[], number, number, string | null];

export interface PackedDiff {
  v: 1;
  lists: unknown[][];
  effective: { added: PackedEntry[]; removed: PackedEntry[]; scopeChanged: PackedScope[] };
  deny: { added: PackedEntry[]; removed: PackedEntry[]; scopeChanged: PackedScope[] };
  literal: { added: string[]; removed: string[] };
  problems?: string[];
}

export function packDiff(d: DiffBody): PackedDiff {
  const lists: unknown[][] = [];
  const byRef = new Map<unknown[], number>();
  const byKey = new Map<string, number>();
  const ref = (list: unknown[]): number => {
    const hit = byRef.get(list);
    if (hit !== undefined) return hit;
    const key = JSON.stringify(list);
    let i = byKey.get(key);
    if (i === undefined) {
      i = lists.push(list) - 1;
      byKey.set(key, i);
    }
    byRef.set(list, i);
    return i;
  };
  const entries = (es: Entry[]): PackedEntry[] => es.map((e) => [e.action, e.service, e.accessLevel, e.flags, ref(e.via), ref(e.grants)]);
  const scopes = (ss: Scope[]): PackedScope[] => ss.map((s) => [s.action, s.service, s.accessLevel, s.flags, ref(s.before), ref(s.after), s.direction ?? null]);
  return {
    v: 1,
    lists,
    effective: { added: entries(d.effective.added), removed: entries(d.effective.removed), scopeChanged: scopes(d.effective.scopeChanged) },
    deny: { added: entries(d.deny.added), removed: entries(d.deny.removed), scopeChanged: scopes(d.deny.scopeChanged) },
    literal: d.literal,
    ...(d.problems ? { problems: d.problems } : {}),
  };
}

export class DiffCodecError extends Error {
  readonly code = 'DIFF_CODEC';
}

function checked(raw: JsonValue): PackedDiff {
  const p = raw as unknown as PackedDiff;
  if (!p || typeof p !== 'object' || p.v !== 1 || !Array.isArray(p.lists)) throw new DiffCodecError('stored diff is not in packed form v1');
  return p;
}

/** One list of a diff in brief: how many actions, by service and access level, and the first few names. */
export interface ListSummary { count: number; byService: Record<string, number>; byAccessLevel: Record<string, number>; first: string[] }
/** A side of a diff in brief: only its lists that have actions. */
export interface SideSummary { added?: ListSummary; removed?: ListSummary; scopeChanged?: ListSummary }
/**
 * A diff in brief, as list entries carry it. Lists without actions are left out, and so is a side
 * (effective, deny) without any: most events change one list of one side, and the five empty
 * lists written out in full were a fifth of a page of 50 (14 of 66 KB).
 */
export interface DiffSummary {
  effective?: SideSummary;
  deny?: SideSummary;
  literal: { added: number; removed: number };
  problems?: string[];
}

/** The summary of a stored diff, read straight from the packed rows (no entry objects built). */
export function summarizeDiff(raw: JsonValue, firstN = 5): DiffSummary {
  const p = checked(raw);
  const list = (rows: (PackedEntry | PackedScope)[]): ListSummary => {
    const byService: Record<string, number> = {};
    const byAccessLevel: Record<string, number> = {};
    for (const r of rows) {
      byService[r[1]] = (byService[r[1]] ?? 0) + 1;
      byAccessLevel[r[2]] = (byAccessLevel[r[2]] ?? 0) + 1;
    }
    return { count: rows.length, byService, byAccessLevel, first: rows.slice(0, firstN).map((r) => r[0]) };
  };
  const side = (s: PackedDiff['effective']): SideSummary | undefined => {
    const out: SideSummary = {};
    if (s.added.length > 0) out.added = list(s.added);
    if (s.removed.length > 0) out.removed = list(s.removed);
    if (s.scopeChanged.length > 0) out.scopeChanged = list(s.scopeChanged);
    return out.added || out.removed || out.scopeChanged ? out : undefined;
  };
  const effective = side(p.effective);
  const deny = side(p.deny);
  return {
    ...(effective ? { effective } : {}),
    ...(deny ? { deny } : {}),
    literal: { added: p.literal.added.length, removed: p.literal.removed.length },
    ...(p.problems ? { problems: p.problems } : {}),
  };
}

export function unpackDiff(raw: JsonValue, opts: { maxEntries?: number } = {}): DiffBody & { truncated?: Record<string, number> } {
  const p = checked(raw);
  const list = (i: number) => p.lists[i] ?? [];
  const max = opts.maxEntries ?? Infinity;
  const truncated: Record<string, number> = {};
  const cut = <T>(name: string, xs: T[]): T[] => {
    if (xs.length <= max) return xs;
    truncated[name] = xs.length;
    return xs.slice(0, max);
  };
  const entries = (name: string, es: PackedEntry[]): Entry[] =>
    cut(name, es).map(([action, service, accessLevel, flags, via, grants]) => ({ action, service, accessLevel, flags, via: list(via) as string[], grants: list(grants) as StoredGrant[] }));
  const scopes = (name: string, ss: PackedScope[]): Scope[] =>
    cut(name, ss).map(([action, service, accessLevel, flags, before, after, direction]) => ({
      action, service, accessLevel, flags, before: list(before) as StoredGrant[], after: list(after) as StoredGrant[], ...(direction ? { direction } : {}),
    }));
  const out: DiffBody & { truncated?: Record<string, number> } = {
    effective: { added: entries('effective.added', p.effective.added), removed: entries('effective.removed', p.effective.removed), scopeChanged: scopes('effective.scopeChanged', p.effective.scopeChanged) },
    deny: { added: entries('deny.added', p.deny.added), removed: entries('deny.removed', p.deny.removed), scopeChanged: scopes('deny.scopeChanged', p.deny.scopeChanged) },
    literal: p.literal,
    ...(p.problems ? { problems: p.problems } : {}),
  };
  if (Object.keys(truncated).length > 0) out.truncated = truncated;
  return out;
}
