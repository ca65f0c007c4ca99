// Read side of change events: the change feed with its filters, single events, on-demand diffs
// of any two versions, and the reverse index by action.
import type { ChangeFilter, EventKind, EventStore, StoredEvent } from '../core/events.ts';
import { DEFAULT_FEED_KINDS } from '../core/events.ts';
import type { PolicyStore } from '../core/stores.ts';
import { NotFoundError } from '../core/errors.ts';
import { summarizeDiff, unpackDiff } from '../core/diff-codec.ts';
import { type Catalog, type PreparedDocument, coverage, diffDocuments, prepareDocument } from '../diff/index.ts';
import { FirstSeenIndex } from './event-service.ts';
import type { DocRef } from '../core/doc-history.ts';

export interface ChangeQuery extends Omit<ChangeFilter, 'policyIds' | 'kinds'> {
  kinds?: readonly EventKind[] | 'all' | undefined;
}

/** The fields of an event every presentation shares. */
function eventFields(e: StoredEvent) {
  return {
    id: e.id,
    policy: e.policy,
    kind: e.kind,
    fromVersionId: e.fromVersionId,
    toVersionId: e.toVersionId,
    // An unreliable date is not shown as an instant: the interval it must lie in instead (the
    // stored occurredAt is then only its position there, for ordering).
    occurredAt: e.occurredAtUnreliable ? null : e.occurredAt,
    occurredAtUnreliable: e.occurredAtUnreliable,
    occurredWithin: e.occurredAtUnreliable ? { after: e.occurredAfter, before: e.occurredBefore } : null,
    detectedAt: e.detectedAt,
    source: e.source,
    broadened: e.broadened,
    narrowed: e.narrowed,
    // Diff flags and documentation-join flags together, as GET /api/changes?flag= filters them.
    flags: [...new Set([...e.flags, ...e.docFlags])].sort(),
    catalogVersion: e.catalogVersion,
  };
}

/** The API/feeds shape of an event, its action lists whole (or cut at maxEntries, see `truncated`). */
export function presentEvent(e: StoredEvent, opts: { maxEntries?: number } = {}) {
  return { ...eventFields(e), ...unpackDiff(e.diff, opts) };
}
export type PresentedEvent = ReturnType<typeof presentEvent>;

/** A list entry: counts by service and access level, flags and the first few actions of each list. */
export function presentSummary(e: StoredEvent) {
  return { ...eventFields(e), summary: summarizeDiff(e.diff) };
}

/** How list entries are shown: a summary, or the lists themselves cut at this many entries. */
export type ListDetail = { detail: 'summary' } | { detail: 'full'; maxEntries: number };

/** An entry of AWS's documentation history as shown beside an event (AWS's stated reason). */
export function presentDocRef(d: DocRef) {
  return {
    id: d.id, feed: d.feed, title: d.title, description: d.description, link: d.link, publishedAt: d.publishedAt,
    kind: d.kind, statedDirection: d.statedDirection,
  };
}

export type DocRefLoader = (eventIds: string[]) => Promise<Map<string, DocRef[]>>;

export class ChangeService {
  private readonly prepared = new Map<string, PreparedDocument>();
  /** First-seen dates of every action, as of `generation`; reloaded when the data moves on. */
  private firstSeen: { generation: string; index: Promise<FirstSeenIndex> } | undefined;

  constructor(private readonly deps: {
    events: EventStore; policies: PolicyStore; catalog: () => Promise<Catalog>; docRefs?: DocRefLoader;
    /** The current data generation (services/generation.ts); without it first-seen is read per diff. */
    generation?: () => Promise<string>;
  }) {}

  private async docRefs(events: StoredEvent[]) {
    return this.deps.docRefs && events.length > 0 ? this.deps.docRefs(events.map((e) => e.id)) : new Map<string, DocRef[]>();
  }

  /** Presents events whole (or cut at maxEntries) with their documentation-history entries (one batch query). */
  async present(events: StoredEvent[], opts: { maxEntries?: number } = {}) {
    const refs = await this.docRefs(events);
    return events.map((e) => ({ ...presentEvent(e, opts), docHistory: (refs.get(e.id) ?? []).map(presentDocRef) }));
  }

  /** Presents a page of list entries: summaries, or (detail=full) the lists cut at maxEntries. */
  async presentList(events: StoredEvent[], how: ListDetail) {
    if (how.detail === 'full') return this.present(events, { maxEntries: how.maxEntries });
    const refs = await this.docRefs(events);
    return events.map((e) => ({ ...presentSummary(e), docHistory: (refs.get(e.id) ?? []).map(presentDocRef) }));
  }

  /** First-seen dates, loaded once per data generation instead of once per diff. */
  private async firstSeenIndex(): Promise<FirstSeenIndex> {
    if (!this.deps.generation) return new FirstSeenIndex(await this.deps.events.loadFirstSeen());
    const generation = await this.deps.generation();
    if (this.firstSeen?.generation !== generation) {
      const index = this.deps.events.loadFirstSeen().then((rows) => new FirstSeenIndex(rows));
      const entry = { generation, index };
      this.firstSeen = entry;
      index.catch(() => {
        if (this.firstSeen === entry) this.firstSeen = undefined;
      });
    }
    return this.firstSeen.index;
  }

  async list(q: ChangeQuery, policyIds?: number[]) {
    const kinds = q.kinds === 'all' ? undefined : (q.kinds ?? DEFAULT_FEED_KINDS);
    return this.deps.events.listChanges({ ...q, kinds, policyIds });
  }

  async forPolicy(name: string, q: ChangeQuery) {
    const ids = await this.deps.events.policyIdsByName([name]);
    const id = ids.get(name);
    if (id === undefined) throw new NotFoundError(`policy "${name}"`, { policy: name });
    return this.list(q, [id]);
  }

  async get(id: string) {
    const e = await this.deps.events.getChange(id);
    if (!e) throw new NotFoundError(`change "${id}"`);
    return e;
  }

  /** Semantic diff of any two stored versions of a policy, computed now. */
  async diff(name: string, from: string, to: string) {
    const [a, b] = await Promise.all([this.deps.policies.getVersion(name, from), this.deps.policies.getVersion(name, to)]);
    if (!a || !b) {
      if (!(await this.deps.policies.get(name))) throw new NotFoundError(`policy "${name}"`, { policy: name });
      throw new NotFoundError(`version "${!a ? from : to}" of policy "${name}"`, { policy: name, versionId: !a ? from : to });
    }
    const [catalog, firstSeen] = await Promise.all([this.deps.catalog(), this.firstSeenIndex()]);
    const at = (b.awsCreatedAt ?? b.observedAt).getTime();
    const d = diffDocuments(a.document, b.document, catalog, { seenBefore: firstSeen.before(at) });
    return {
      policy: name,
      from: { versionId: a.versionId, awsCreatedAt: a.awsCreatedAt, documentHash: a.documentHash },
      to: { versionId: b.versionId, awsCreatedAt: b.awsCreatedAt, documentHash: b.documentHash },
      ...d,
    };
  }

  /**
   * Which policies grant an action now (literally or by wildcard, with each grant's resources and
   * conditions), and a page of the events that added or removed it (newest first).
   */
  async action(action: string, page: { limit: number; before?: { occurredAt: Date; id: string } | undefined }) {
    const catalog = await this.deps.catalog();
    const id = catalog.lookup(action);
    const canonical = id >= 0 ? (catalog.names[id] as string) : action;
    const current = await this.deps.events.currentVersions();
    const missing = [...new Set(current.map((c) => c.documentHash))].filter((h) => !this.prepared.has(h));
    if (missing.length > 0) {
      const docs = await this.deps.events.documentsByHash(missing);
      for (const [h, doc] of docs) this.prepared.set(h, prepareDocument(doc, catalog));
    }
    // Keep only what is current, so the cache tracks the policy set instead of growing forever.
    const live = new Set(current.map((c) => c.documentHash));
    for (const h of this.prepared.keys()) if (!live.has(h)) this.prepared.delete(h);
    const grantedBy = [];
    for (const c of current) {
      const doc = this.prepared.get(c.documentHash);
      if (!doc) continue;
      const cov = coverage(doc, canonical);
      if (cov.allowed && !cov.denied) {
        grantedBy.push({ policy: c.name, arn: c.arn, versionId: c.versionId, via: cov.via, literal: cov.via.some((v) => v.toLowerCase() === canonical.toLowerCase()), grants: cov.grants });
      }
    }
    grantedBy.sort((x, y) => x.policy.localeCompare(y.policy));
    const rows = await this.deps.events.eventsForAction(canonical.toLowerCase(), { limit: page.limit + 1, before: page.before });
    const events = rows.slice(0, page.limit);
    const presented = await this.presentList(events, { detail: 'summary' });
    const last = events.at(-1);
    return {
      action: canonical,
      known: id >= 0,
      service: id >= 0 ? catalog.service(id) : (canonical.split(':')[0] ?? '').toLowerCase(),
      accessLevel: id >= 0 ? catalog.accessLevel(id) : 'unknown',
      catalogVersion: catalog.version,
      grantedBy,
      events: presented.map((p, i) => ({ change: (events[i] as (typeof events)[number]).change, ...p })),
      /** Where the next page starts; undefined on the last page. */
      next: rows.length > page.limit && last ? { occurredAt: last.occurredAt, id: last.id } : undefined,
    };
  }
}
