// Read side of change events: the change feed with its filters, single events, on-demand diffs
// of any two versions, and the reverse index by action.
import type { ChangeFilter, EventKind, EventStore, StoredEvent } from '../core/events.ts';
import { DEFAULT_FEED_KINDS } from '../core/events.ts';
import type { PolicyStore } from '../core/stores.ts';
import { NotFoundError } from '../core/errors.ts';
import { unpackDiff } from '../core/diff-codec.ts';
import { type Catalog, type PreparedDocument, coverage, diffDocuments, prepareDocument } from '../diff/index.ts';
import { FirstSeenIndex } from './event-service.ts';
import type { DocRef } from '../core/doc-history.ts';

export interface ChangeQuery extends Omit<ChangeFilter, 'policyIds' | 'kinds'> {
  kinds?: readonly EventKind[] | 'all' | undefined;
}

/** The API/feeds shape of an event. */
export function presentEvent(e: StoredEvent, opts: { maxEntries?: number } = {}) {
  const body = unpackDiff(e.diff, opts);
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
    ...body,
  };
}
export type PresentedEvent = ReturnType<typeof presentEvent>;

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

  constructor(private readonly deps: { events: EventStore; policies: PolicyStore; catalog: () => Promise<Catalog>; docRefs?: DocRefLoader }) {}

  /** Presents a page of events with their documentation-history entries (one batch query). */
  async present(events: StoredEvent[], opts: { maxEntries?: number } = {}) {
    const refs = this.deps.docRefs && events.length > 0 ? await this.deps.docRefs(events.map((e) => e.id)) : new Map<string, DocRef[]>();
    return events.map((e) => ({ ...presentEvent(e, opts), docHistory: (refs.get(e.id) ?? []).map(presentDocRef) }));
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
    const catalog = await this.deps.catalog();
    const firstSeen = new FirstSeenIndex(await this.deps.events.loadFirstSeen());
    const at = (b.awsCreatedAt ?? b.observedAt).getTime();
    const d = diffDocuments(a.document, b.document, catalog, { seenBefore: firstSeen.before(at) });
    return {
      policy: name,
      from: { versionId: a.versionId, awsCreatedAt: a.awsCreatedAt, documentHash: a.documentHash },
      to: { versionId: b.versionId, awsCreatedAt: b.awsCreatedAt, documentHash: b.documentHash },
      ...d,
    };
  }

  /** Which policies grant an action now (literally or by wildcard), and the events that moved it. */
  async action(action: string, limit: number) {
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
      if (cov.allowed && !cov.denied) grantedBy.push({ policy: c.name, arn: c.arn, versionId: c.versionId, via: cov.via, literal: cov.via.some((v) => v.toLowerCase() === canonical.toLowerCase()) });
    }
    grantedBy.sort((x, y) => x.policy.localeCompare(y.policy));
    const events = await this.deps.events.eventsForAction(canonical.toLowerCase(), limit);
    const presented = await this.present(events, { maxEntries: 0 });
    return {
      action: canonical,
      known: id >= 0,
      service: id >= 0 ? catalog.service(id) : canonical.split(':')[0]?.toLowerCase(),
      accessLevel: id >= 0 ? catalog.accessLevel(id) : 'unknown',
      catalogVersion: catalog.version,
      grantedBy,
      events: events.map((e, i) => ({ change: e.change, ...presented[i] })),
    };
  }
}
