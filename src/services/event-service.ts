// Computes change events from stored versions with the pure diff engine and keeps them in sync:
// every version gets an event against the previous version we hold (by number, gaps allowed),
// the first one 'created'; a deprecation gets its own. Recomputing is idempotent (stable ids,
// fingerprints), so it runs after every write, for neighbours of late-arriving versions too.
import { createHash } from 'node:crypto';
import type { Logger } from '../core/logger.ts';
import type { ActionChangeRecord, EventKind, EventRecord, EventStore, FirstSeenRow, PolicyHistory } from '../core/events.ts';
import type { JsonValue } from '../core/history.ts';
import { packDiff } from '../core/diff-codec.ts';
import { type Catalog, type DiffResult, type SeenBefore, FirstSeenTracker, diffDocuments, prepareDocument } from '../diff/index.ts';

export function eventId(policyName: string, key: string): string {
  return `evt_${createHash('sha256').update(`${policyName}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

/** Read-only "seen strictly before t" view over first-seen times, as the diff engine expects. */
class SeenBeforeView implements ReadonlySet<string> {
  constructor(private readonly times: ReadonlyMap<string, number>, private readonly t: number) {}
  has(key: string): boolean {
    const first = this.times.get(key);
    return first !== undefined && first < this.t;
  }
  private *members(): IterableIterator<string> {
    for (const [k, v] of this.times) if (v < this.t) yield k;
  }
  get size(): number {
    let n = 0;
    for (const _ of this.members()) n++;
    return n;
  }
  forEach(cb: (value: string, key: string, set: ReadonlySet<string>) => void): void {
    for (const k of this.members()) cb(k, k, this);
  }
  keys() { return this.members(); }
  values() { return this.members(); }
  *entries(): IterableIterator<[string, string]> {
    for (const k of this.members()) yield [k, k];
  }
  [Symbol.iterator]() { return this.members(); }
}

export class FirstSeenIndex {
  private readonly actions = new Map<string, number>();
  private readonly services = new Map<string, number>();
  constructor(rows: readonly FirstSeenRow[]) {
    for (const r of rows) {
      const t = r.firstSeenAt.getTime();
      this.actions.set(r.actionKey, t);
      const s = this.services.get(r.service);
      if (s === undefined || t < s) this.services.set(r.service, t);
    }
  }
  before(t: number): SeenBefore {
    return { actions: new SeenBeforeView(this.actions, t), services: new SeenBeforeView(this.services, t) };
  }
}

const timeOf = (v: { awsCreatedAt: Date | null; observedAt: Date }) => (v.awsCreatedAt ?? v.observedAt).getTime();

/** The named grants of every version, as first-seen rows (earliest wins in the store). */
export function firstSeenRows(history: PolicyHistory, catalog: Catalog): FirstSeenRow[] {
  const best = new Map<string, FirstSeenRow>();
  for (const v of history.versions) {
    const tracker = new FirstSeenTracker(catalog);
    tracker.record(v.document);
    const at = new Date(timeOf(v));
    for (const key of tracker.seenBefore.actions) {
      const prev = best.get(key);
      if (!prev || at < prev.firstSeenAt) {
        best.set(key, { actionKey: key, service: key.split(':')[0] ?? key, firstSeenAt: at, policyId: history.policy.id, versionId: v.versionId });
      }
    }
  }
  return [...best.values()];
}

function actionRecords(d: DiffResult): ActionChangeRecord[] {
  const out: ActionChangeRecord[] = [];
  const push = (change: ActionChangeRecord['change'], entries: { action: string; service: string; accessLevel: string; flags: string[] }[]) => {
    for (const e of entries) out.push({ action: e.action, actionKey: e.action.toLowerCase(), service: e.service, accessLevel: e.accessLevel, change, flags: [...e.flags] });
  };
  push('added', d.effective.added);
  push('removed', d.effective.removed);
  push('scope_changed', d.effective.scopeChanged);
  push('deny_added', d.deny.added);
  push('deny_removed', d.deny.removed);
  push('deny_scope_changed', d.deny.scopeChanged);
  return out;
}

/** Pure: the events of one policy's history. */
export function computePolicyEvents(history: PolicyHistory, catalog: Catalog, firstSeen: FirstSeenIndex): EventRecord[] {
  const { policy, versions } = history;
  const prepared = versions.map((v) => prepareDocument(v.document, catalog));
  const events: EventRecord[] = [];
  versions.forEach((v, i) => {
    const prev = i > 0 ? versions[i - 1] : undefined;
    const t = timeOf(v);
    const d = diffDocuments(i > 0 ? prepared[i - 1] : undefined, prepared[i], catalog, { seenBefore: firstSeen.before(t) });
    const kind: EventKind = prev ? d.kind : 'created';
    const actions = actionRecords(d);
    const diff = packDiff({ effective: d.effective, deny: d.deny, literal: d.literal, ...(d.problems ? { problems: d.problems } : {}) }) as unknown as JsonValue;
    const flags = [...new Set(actions.flatMap((a) => a.flags))].sort();
    const base = {
      id: eventId(policy.name, `version:${v.versionId}`), policyId: policy.id, kind,
      fromVersionId: prev?.versionId ?? null, toVersionId: v.versionId,
      fromVersionNumber: prev?.versionNumber ?? null, toVersionNumber: v.versionNumber,
      occurredAt: new Date(t), occurredAtUnreliable: v.awsCreatedAt === null || v.createDateUnreliable, source: v.source,
      broadened: d.broadened, narrowed: d.narrowed, catalogVersion: d.catalogVersion, diff, flags,
    };
    events.push({ ...base, actions, fingerprint: fingerprint(base) });
  });
  if (policy.deprecatedAt) {
    const last = versions.at(-1);
    const base = {
      id: eventId(policy.name, `deprecated:${policy.deprecatedAt.toISOString()}`), policyId: policy.id, kind: 'deprecated' as const,
      fromVersionId: last?.versionId ?? null, toVersionId: null, fromVersionNumber: last?.versionNumber ?? null, toVersionNumber: null,
      occurredAt: policy.deprecatedAt, occurredAtUnreliable: false, source: 'iam', broadened: false, narrowed: false,
      catalogVersion: catalog.version, diff: packDiff(EMPTY_BODY) as unknown as JsonValue, flags: [],
    };
    events.push({ ...base, actions: [], fingerprint: fingerprint(base) });
  }
  return events;
}

const EMPTY_BODY = { effective: { added: [], removed: [], scopeChanged: [] }, deny: { added: [], removed: [], scopeChanged: [] }, literal: { added: [], removed: [] } };

// The record is built deterministically, so plain JSON is a stable (and much cheaper) key.
function fingerprint(e: object): string {
  return createHash('sha256').update(JSON.stringify(e)).digest('hex');
}

export class EventService {
  constructor(private readonly deps: { events: EventStore; catalog: () => Promise<Catalog>; log: Logger; chunkSize?: number }) {}

  /**
   * Versions were written or a policy deprecated: record first-seen grants of all affected
   * policies first (first-seen is judged across policies in AWS-date order), then recompute
   * each affected policy's events.
   */
  async policiesChanged(policyIds: readonly number[], signal?: AbortSignal): Promise<{ written: number; deleted: number }> {
    const ids = [...new Set(policyIds)];
    if (ids.length === 0) return { written: 0, deleted: 0 };
    const catalog = await this.deps.catalog();
    const chunk = this.deps.chunkSize ?? 50;
    for (let i = 0; i < ids.length; i += chunk) {
      signal?.throwIfAborted();
      const histories = await this.deps.events.policyHistories(ids.slice(i, i + chunk));
      await this.deps.events.recordFirstSeen(histories.flatMap((h) => firstSeenRows(h, catalog)));
    }
    const firstSeen = new FirstSeenIndex(await this.deps.events.loadFirstSeen());
    let written = 0;
    let deleted = 0;
    for (let i = 0; i < ids.length; i += chunk) {
      signal?.throwIfAborted();
      const slice = ids.slice(i, i + chunk);
      const histories = await this.deps.events.policyHistories(slice);
      const r = await this.deps.events.syncEvents(slice, histories.flatMap((h) => computePolicyEvents(h, catalog, firstSeen)));
      written += r.written;
      deleted += r.deleted;
    }
    this.deps.log.info({ policies: ids.length, written, deleted }, 'change events computed');
    return { written, deleted };
  }

  /** Finds versions or deprecations without events (a process died mid-way) and fills them in. */
  async reconcile(signal?: AbortSignal) {
    const ids = await this.deps.events.policiesMissingEvents();
    if (ids.length > 0) this.deps.log.info({ policies: ids.length }, 'computing missing change events');
    return this.policiesChanged(ids, signal);
  }
}
