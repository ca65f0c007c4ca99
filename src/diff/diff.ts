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
import { type Bits, type RangeBits, and, andNot, forEachMasked, ids, isEmpty, orRangeInto, orXorInto, rangeHas } from './bitset.ts';
import type { Catalog } from './catalog.ts';
import { serviceOf } from './catalog.ts';
import { staticFlags } from './enrich.ts';
import { cmp } from './normalize.ts';
import { PreparedDocument, type Side, keepMin, matchingPatterns } from './prepare.ts';
import { scopeDirection } from './scope.ts';
import type { ActionEntry, ActionFlag, DiffOptions, DiffResult, Grant, ScopeChange, ScopeDirection, SeenBefore } from './types.ts';

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

  constructor(
    private readonly a: PreparedDocument,
    private readonly b: PreparedDocument,
    private readonly catalog: Catalog,
    private readonly created: boolean,
    private readonly seen: SeenBefore | undefined,
  ) {
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

    const added = this.entries(andNot(b.allow.bits, a.allow.bits), this.unknownOnly('allow', this.covB, this.covA), b, b.allow, true);
    const removed = this.entries(andNot(a.allow.bits, b.allow.bits), this.unknownOnly('allow', this.covA, this.covB), a, a.allow, false);
    const denyAdded = this.entries(andNot(b.deny.bits, a.deny.bits), this.unknownOnly('deny', this.covB, this.covA), b, b.deny, false);
    const denyRemoved = this.entries(andNot(a.deny.bits, b.deny.bits), this.unknownOnly('deny', this.covA, this.covB), a, a.deny, false);
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
  private entries(mask: Bits, unknownKeys: string[], doc: PreparedDocument, side: Side, firstSeen: boolean): ActionEntry[] {
    const idList = ids(mask);
    if (idList.length === 0 && unknownKeys.length === 0) return [];
    // via: walk each pattern's expansion once, restricted to the ids we report.
    const pos = this.catalog.positionScratch();
    for (let i = 0; i < idList.length; i++) pos[idList[i]!] = i;
    const via: (string[] | undefined)[] = new Array<string[] | undefined>(idList.length);
    const named = new Uint8Array(idList.length); // granted by a pattern naming the service (see first-seen)
    const addVia = (id: number, pattern: string, namesService: boolean) => {
      const i = pos[id]!;
      const list = via[i];
      if (!list) via[i] = [pattern];
      else if (!list.includes(pattern)) list.push(pattern);
      if (namesService) named[i] = 1;
    };
    if (idList.length > 0) {
      for (const s of side.statements) {
        if (s.cover) {
          forEachMasked(s.cover, 0, mask, (id) => addVia(id, s.label, false));
          continue;
        }
        s.exps.forEach((e, i) => {
          if (e.count === 0) return;
          const written = s.stmt.patterns[i] as string;
          forEachMasked(e.words, e.lo, mask, (id) => addVia(id, written, e.namesService));
        });
      }
    }
    const grantMemo = new Map<number | string, Grant[]>();
    const viaMemo = new Map<string, string[]>();
    const out: ActionEntry[] = [];
    const groups = side.groups;
    for (let idx = 0; idx < idList.length; idx++) {
      const id = idList[idx]!;
      // Which groups hold the id, as a small-integer signature (no allocation) when there are few.
      let sig: number | string = 0;
      if (groups.length <= 30) {
        for (let gi = 0; gi < groups.length; gi++) if (rangeHas(groups[gi]!.bits, id)) sig |= 1 << gi;
      } else {
        sig = groups.map((g) => (rangeHas(g.bits, id) ? '1' : '0')).join('');
      }
      let grants = grantMemo.get(sig);
      if (!grants) grantMemo.set(sig, (grants = groups.filter((g) => rangeHas(g.bits, id)).map((g) => g.grant)));
      const lower = this.catalog.lowerNames[id] as string;
      const service = this.catalog.service(id);
      const accessLevel = this.catalog.accessLevel(id);
      const flags = staticFlags(lower, accessLevel, false);
      if (firstSeen) this.firstSeenFlags(flags, lower, service, named[idx] === 1);
      out.push({ action: this.catalog.names[id] as string, service, accessLevel, flags, via: sortVia(via[idx], viaMemo), grants });
    }
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
      const flags = staticFlags(key, 'unknown', true);
      if (firstSeen) this.firstSeenFlags(flags, key, service, isNamed);
      out.push({
        action: this.unknownName.get(key) ?? key,
        service,
        accessLevel: 'unknown',
        flags,
        via: sortVia([...vias], viaMemo),
        grants: grantKeys.map((k) => side.groupByKey.get(k)?.grant ?? {}),
      });
    }
    if (unknownKeys.length > 0) out.sort(byAction);
    return out;
  }

  // First-seen is judged only for actions granted by a pattern that names their service: '*' or a
  // NotAction statement would otherwise mark every catalog action "seen" from 2015 on, expanded
  // with today's catalog, and the flag would never fire.
  private firstSeenFlags(flags: ActionFlag[], lower: string, service: string, named: boolean): void {
    if (!this.seen || !named) return;
    if (!this.seen.actions.has(lower)) flags.push('first-seen-action');
    if (!this.seen.services.has(service)) flags.push('first-seen-service');
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
      out.push({ action, service, accessLevel, flags: staticFlags(lower, accessLevel, unknown), before: s.before, after: s.after, direction: s.direction });
    };

    // Catalog actions: the grant sets differ exactly where some group's membership differs.
    const both = and(sa.bits, sb.bits);
    if (!isEmpty(both)) {
      const differs = new Uint32Array(both.length);
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
      for (const id of ids(and(both, differs))) {
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
    const onlyIn = (x: PreparedDocument, y: PreparedDocument) =>
      [...x.literal.entries()].filter(([k]) => !y.literal.has(k)).sort((p, q) => cmp(p[0], q[0]) || cmp(p[1], q[1])).map(([, v]) => v);
    return { added: onlyIn(b, a), removed: onlyIn(a, b) };
  }
}

// Patterns differing only in case are one pattern; keep the smallest spelling. Entries with the
// same patterns share one array (a '*' policy has 20,000+ entries with via ["*"]).
function sortVia(patterns: string[] | undefined, memo: Map<string, string[]>): string[] {
  if (!patterns || patterns.length === 0) return [];
  const sig = patterns.join('\0');
  let out = memo.get(sig);
  if (!out) {
    const byLower = new Map<string, string>();
    for (const p of patterns) keepMin(byLower, p.toLowerCase(), p);
    out = [...byLower.entries()].sort((x, y) => cmp(x[0], y[0])).map(([, v]) => v);
    memo.set(sig, out);
  }
  return out;
}

function byAction(x: { action: string }, y: { action: string }): number {
  return cmp(x.action.toLowerCase(), y.action.toLowerCase()) || cmp(x.action, y.action);
}
