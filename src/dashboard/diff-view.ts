// A diff (stored event or computed on demand) arranged for the page: allow side and deny side
// apart, each grouped by service then access level, with added, removed and rescoped actions in
// each group. Pure.
import type { DiffBody } from '../core/diff-codec.ts';
import { renderGrant } from '../diff/render.ts';
import type { Grant } from '../diff/types.ts';

type Entry = DiffBody['effective']['added'][number];
type Scope = DiffBody['effective']['scopeChanged'][number];

export interface EntryView {
  action: string;
  flags: string[];
  via: string[];
  /** Resource/condition lines, empty for the common "Resource *" with no condition. */
  grants: string[];
}

export interface ScopeView {
  action: string;
  flags: string[];
  direction: string;
  before: string[];
  after: string[];
}

export interface GroupView {
  service: string;
  accessLevel: string;
  added: EntryView[];
  removed: EntryView[];
  rescoped: ScopeView[];
}

export interface SideView {
  groups: GroupView[];
  added: number;
  removed: number;
  rescoped: number;
}

// Access levels from least to most powerful, the order a reviewer reads them in.
const LEVEL_ORDER = ['List', 'Read', 'Tagging', 'Write', 'Permissions management', 'unknown'];

const trivial = (grants: unknown[]) =>
  grants.every((g) => {
    const x = g as Grant;
    return !x.conditions && !x.notResources && x.resources?.length === 1 && x.resources[0] === '*';
  });

export const grantLines = (grants: unknown[]) => (trivial(grants) ? [] : grants.map((g) => renderGrant(g as Grant)));
const entry = (e: Entry): EntryView => ({ action: e.action, flags: e.flags, via: e.via, grants: grantLines(e.grants) });
const scope = (s: Scope): ScopeView => ({
  action: s.action, flags: s.flags, direction: s.direction ?? 'unknown',
  before: s.before.map((g) => renderGrant(g as Grant)), after: s.after.map((g) => renderGrant(g as Grant)),
});

export function groupSide(side: DiffBody['effective']): SideView {
  const groups = new Map<string, GroupView>();
  const group = (service: string, accessLevel: string) => {
    const key = `${service}\u0000${accessLevel}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { service, accessLevel, added: [], removed: [], rescoped: [] }));
    return g;
  };
  for (const e of side.added) group(e.service, e.accessLevel).added.push(entry(e));
  for (const e of side.removed) group(e.service, e.accessLevel).removed.push(entry(e));
  for (const s of side.scopeChanged) group(s.service, s.accessLevel).rescoped.push(scope(s));
  const level = (l: string) => (LEVEL_ORDER.indexOf(l) + LEVEL_ORDER.length + 1) % (LEVEL_ORDER.length + 1);
  return {
    groups: [...groups.values()].sort((a, b) => a.service.localeCompare(b.service) || level(a.accessLevel) - level(b.accessLevel)),
    added: side.added.length, removed: side.removed.length, rescoped: side.scopeChanged.length,
  };
}

export function diffView(d: Pick<DiffBody, 'effective' | 'deny' | 'literal' | 'problems'>) {
  return {
    allow: groupSide(d.effective),
    deny: groupSide(d.deny),
    literal: d.literal,
    problems: d.problems ?? [],
  };
}
export type DiffView = ReturnType<typeof diffView>;

export interface Badge {
  /** Stable class suffix and test hook. */
  id: string;
  label: string;
}

/** The badges of a change: direction, privilege escalation, first-seen, undocumented. */
export function badges(e: { kind: string; broadened: boolean; narrowed: boolean; flags: string[] }): Badge[] {
  const out: Badge[] = [];
  if (e.broadened) out.push({ id: 'broadened', label: 'broadened' });
  if (e.narrowed) out.push({ id: 'narrowed', label: 'narrowed' });
  if (e.flags.includes('privilege-escalation')) out.push({ id: 'privilege-escalation', label: 'privilege escalation' });
  if (e.flags.includes('first-seen-action') || e.flags.includes('first-seen-service')) out.push({ id: 'first-seen', label: 'first seen' });
  if (e.flags.includes('undocumented')) out.push({ id: 'undocumented', label: 'undocumented' });
  if (e.flags.includes('doc-says-added-but-narrowed') || e.flags.includes('doc-says-removed-but-broadened')) out.push({ id: 'doc-mismatch', label: 'AWS note disagrees' });
  return out;
}
