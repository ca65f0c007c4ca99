// Read side of change events: the change feed with its filters, single events, on-demand diffs
// of any two versions, and the reverse index by action.
import type { ChangeFilter, EventKind, EventStore, StoredEvent } from '../core/events.ts';
import { DEFAULT_FEED_KINDS } from '../core/events.ts';
import type { PolicyStore } from '../core/stores.ts';
import { NotFoundError } from '../core/errors.ts';
import { unpackDiff } from '../core/diff-codec.ts';
import { type Catalog, type PreparedDocument, coverage, diffDocuments, prepareDocument } from '../diff/index.ts';
import { FirstSeenIndex } from './event-service.ts';

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
    occurredAt: e.occurredAt,
    occurredAtUnreliable: e.occurredAtUnreliable,
    detectedAt: e.detectedAt,
    source: e.source,
    broadened: e.broadened,
    narrowed: e.narrowed,
    flags: e.flags,
    catalogVersion: e.catalogVersion,
    ...body,
  };
}
export type PresentedEvent = ReturnType<typeof presentEvent>;

export class ChangeService {
  private readonly prepared = new Map<string, PreparedDocument>();

  constructor(private readonly deps: { events: EventStore; policies: PolicyStore; catalog: () => Promise<Catalog> }) {}

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
    return {
      action: canonical,
      known: id >= 0,
      service: id >= 0 ? catalog.service(id) : canonical.split(':')[0]?.toLowerCase(),
      accessLevel: id >= 0 ? catalog.accessLevel(id) : 'unknown',
      catalogVersion: catalog.version,
      grantedBy,
      events: events.map((e) => ({ change: e.change, ...presentEvent(e, { maxEntries: 0 }) })),
    };
  }
}
