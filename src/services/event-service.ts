// Computes change events from stored versions with the pure diff engine and keeps them in sync:
// every version gets an event against the previous version we hold (by number, gaps allowed),
// the first one 'created'; a deprecation gets its own. Recomputing is idempotent (stable ids,
// fingerprints), so it runs after every write, for neighbours of late-arriving versions too.
import { createHash } from 'node:crypto';
import type { Logger } from '../core/logger.ts';
import { keepEarliest, type ActionChangeKind, type ActionGroupRecord, type EventKind, type EventRecord, type EventStore, type FirstSeenRow, type PolicyHistory, type SyncOptions, type VersionDoc } from '../core/events.ts';
import { packDiff } from '../core/diff-codec.ts';
import { readComputeWrite } from '../core/concurrency.ts';
import { type Catalog, type DiffResult, type PreparedDocument, type SeenBefore, FirstSeenTracker, diffDocuments, prepareDocument } from '../diff/index.ts';

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

/** A version as first-seen tracking needs it: a document (object or JSON text) and its AWS time. */
export interface GrantingVersion {
  versionId: string;
  document: unknown;
  /** ms since the epoch: AWS create date, else when we observed the version. */
  at: number;
}

/** A stored history's versions as first-seen rows read them (document and time of each). */
const grantingVersionsOf = (h: PolicyHistory): GrantingVersion[] => h.versions.map((v) => ({ versionId: v.versionId, document: v.documentJson, at: timeOf(v) }));

/**
 * The named grants of a policy's versions as first-seen rows: one per action, at the earliest
 * version granting it (AWS-date order; the store keeps the earliest across policies and calls).
 * One tracker walks the versions in date order, so only actions a version adds to what is already
 * seen become rows.
 */
export function firstSeenRows(policyId: number, versions: readonly GrantingVersion[], catalog: Catalog): FirstSeenRow[] {
  const ordered = versions.map((v, i) => ({ v, i })).sort((x, y) => x.v.at - y.v.at || x.i - y.i);
  const tracker = new FirstSeenTracker(catalog);
  const seen = tracker.seenBefore.actions; // live view, grows in insertion order
  const rows: FirstSeenRow[] = [];
  for (const { v } of ordered) {
    const before = seen.size;
    tracker.record(v.document);
    if (seen.size === before) continue;
    const at = new Date(v.at);
    let i = 0;
    for (const key of seen) {
      if (i++ < before) continue;
      rows.push({ actionKey: key, service: key.split(':')[0] ?? key, firstSeenAt: at, policyId, versionId: v.versionId });
    }
  }
  return rows;
}

// Action keys repeat across events (a wildcard grant lists the same 20,000 actions in every
// version): one shared lower-case string per action instead of one per entry.
const lowered = new Map<string, string>();
function lowerOf(action: string): string {
  let l = lowered.get(action);
  if (l === undefined) {
    if (lowered.size >= 100_000) lowered.clear(); // bounded: unknown actions are open-ended input
    lowered.set(action, (l = action.toLowerCase()));
  }
  return l;
}

/** Groups the entries of a diff by (change, service, access level, flags); see ActionGroupRecord. */
export function actionGroups(d: DiffResult): ActionGroupRecord[] {
  const out: ActionGroupRecord[] = [];
  const push = (change: ActionChangeKind, entries: readonly { action: string; service: string; accessLevel: string; flags: readonly string[] }[]) => {
    const groups = new Map<string, ActionGroupRecord>();
    // Entries come sorted by action, so neighbours mostly share a group: check the last one first.
    let last: { g: ActionGroupRecord; service: string; accessLevel: string; flags: readonly string[] } | undefined;
    for (const e of entries) {
      if (!last || last.service !== e.service || last.accessLevel !== e.accessLevel || (last.flags !== e.flags && last.flags.join(',') !== e.flags.join(','))) {
        const key = `${e.service}\u0000${e.accessLevel}\u0000${e.flags.join(',')}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { change, service: e.service, accessLevel: e.accessLevel, flags: [...e.flags], actionKeys: [] }));
        last = { g, service: e.service, accessLevel: e.accessLevel, flags: e.flags };
      }
      last.g.actionKeys.push(lowerOf(e.action));
    }
    out.push(...groups.values());
  };
  push('added', d.effective.added);
  push('removed', d.effective.removed);
  push('scope_changed', d.effective.scopeChanged);
  push('deny_added', d.deny.added);
  push('deny_removed', d.deny.removed);
  push('deny_scope_changed', d.deny.scopeChanged);
  return out;
}

const reliableTime = (v: VersionDoc) => (v.awsCreatedAt && !v.createDateUnreliable ? v.awsCreatedAt.getTime() : undefined);

/** Where an unreliably dated version must lie, and its position there for ordering. */
export interface DateInterval {
  after: number | undefined;
  before: number;
  position: number;
}

/**
 * Pure: for each version (in version order) whose date is unreliable, the interval it must lie
 * in: after the previous reliably dated version, before the next one and before the version was
 * first stored. A run of such versions is spread evenly across the interval they share, so lists
 * keep them in version order between their reliably dated neighbours.
 */
export function unreliableIntervals(versions: readonly VersionDoc[]): (DateInterval | undefined)[] {
  const out: (DateInterval | undefined)[] = versions.map(() => undefined);
  let after: number | undefined;
  for (let i = 0; i < versions.length; ) {
    const t = reliableTime(versions[i] as VersionDoc);
    if (t !== undefined) {
      after = t;
      i++;
      continue;
    }
    let end = i;
    while (end < versions.length && reliableTime(versions[end] as VersionDoc) === undefined) end++;
    const next = end < versions.length ? reliableTime(versions[end] as VersionDoc) : undefined;
    const ownBefore = (k: number) => Math.min(next ?? Infinity, (versions[k] as VersionDoc).observedAt.getTime());
    let runBefore = Infinity;
    for (let k = i; k < end; k++) runBefore = Math.min(runBefore, ownBefore(k));
    const n = end - i;
    for (let k = i; k < end; k++) {
      const step = k - i + 1;
      const position = after === undefined ? runBefore - (n + 1 - step) : runBefore <= after ? after : after + Math.floor(((runBefore - after) * step) / (n + 1));
      out[k] = { after, before: ownBefore(k), position };
    }
    i = end;
  }
  return out;
}

/** Pure: the events of one policy's history. */
export function computePolicyEvents(history: PolicyHistory, catalog: Catalog, firstSeen: FirstSeenIndex): EventRecord[] {
  const { policy, versions } = history;
  const events: EventRecord[] = [];
  const intervals = unreliableIntervals(versions);
  // Each version is prepared once and kept only for its successor's diff.
  let before: PreparedDocument | undefined;
  versions.forEach((v, i) => {
    const prev = i > 0 ? versions[i - 1] : undefined;
    const t = timeOf(v);
    const interval = intervals[i];
    const current = prepareDocument(v.documentJson, catalog);
    const d = diffDocuments(before, current, catalog, { seenBefore: firstSeen.before(t) });
    before = current;
    const kind: EventKind = prev ? d.kind : 'created';
    const groups = actionGroups(d);
    const diffJson = JSON.stringify(packDiff({ effective: d.effective, deny: d.deny, literal: d.literal, ...(d.problems ? { problems: d.problems } : {}) }));
    const flags = [...new Set(groups.flatMap((g) => g.flags))].sort();
    const base = {
      id: eventId(policy.name, `version:${v.versionId}`), policyId: policy.id, kind,
      fromVersionId: prev?.versionId ?? null, toVersionId: v.versionId,
      fromVersionNumber: prev?.versionNumber ?? null, toVersionNumber: v.versionNumber,
      occurredAt: new Date(interval?.position ?? t), occurredAtUnreliable: interval !== undefined,
      occurredAfter: interval?.after === undefined ? null : new Date(interval.after), occurredBefore: interval ? new Date(interval.before) : null,
      source: v.source,
      broadened: d.broadened, narrowed: d.narrowed, catalogVersion: d.catalogVersion, flags,
    };
    events.push({ ...base, diffJson, actionGroups: groups, fingerprint: fingerprint(base, diffJson) });
  });
  if (policy.deprecatedAt) {
    const last = versions.at(-1);
    const base = {
      id: eventId(policy.name, `deprecated:${policy.deprecatedAt.toISOString()}`), policyId: policy.id, kind: 'deprecated' as const,
      fromVersionId: last?.versionId ?? null, toVersionId: null, fromVersionNumber: last?.versionNumber ?? null, toVersionNumber: null,
      occurredAt: policy.deprecatedAt, occurredAtUnreliable: false, occurredAfter: null, occurredBefore: null, source: 'iam', broadened: false, narrowed: false,
      catalogVersion: catalog.version, flags: [],
    };
    const diffJson = JSON.stringify(packDiff(EMPTY_BODY));
    events.push({ ...base, diffJson, actionGroups: [], fingerprint: fingerprint(base, diffJson) });
  }
  return events;
}

const EMPTY_BODY = { effective: { added: [], removed: [], scopeChanged: [] }, deny: { added: [], removed: [], scopeChanged: [] }, literal: { added: [], removed: [] } };

// The record is built deterministically, so its JSON is a stable (and cheap) key.
function fingerprint(e: object, diffJson: string): string {
  return createHash('sha256').update(JSON.stringify(e)).update('\n').update(diffJson).digest('hex');
}

/** First-seen rows collected across batches, written at flush (EventService.firstSeenBuffer). */
export interface FirstSeenBuffer {
  add(stored: readonly { policyId: number; versions: readonly GrantingVersion[] }[]): Promise<void>;
  flush(): Promise<void>;
}

export interface PoliciesChangedOptions {
  /** Every new version's first-seen grants were recorded already (see firstSeenBuffer). */
  firstSeenRecorded?: boolean;
  /**
   * Stored create dates moved (a better source corrected them): first-seen times are rebuilt from
   * every policy's history, and the events of other policies whose first-seen flags that changes
   * are recomputed too.
   */
  datesMoved?: boolean;
  /** Called with the number of policies whose events were just written (progress reporting). */
  onProgress?: (policies: number) => void;
  /** Passed to the store: work that commits with the events (the alert outbox of a live poll). */
  sync?: SyncOptions;
}

export class EventService {
  constructor(private readonly deps: { events: EventStore; catalog: () => Promise<Catalog>; log: Logger; chunkSize?: number }) {}

  /**
   * First-seen grants of versions an import stores, from documents it still holds: each batch's
   * rows are computed while its documents are in memory, but only the earliest row per action is
   * kept (one per action, whatever the import's size) and written once by flush. The store keeps
   * the earliest date per action, so recording the new versions alone is enough, and the import
   * then passes { firstSeenRecorded: true } to policiesChanged, which would otherwise read every
   * affected history twice. (Written per batch, the dataset's 16 batches upserted the same
   * actions again and again: ~5 times the rows.)
   */
  firstSeenBuffer(): FirstSeenBuffer {
    const best = new Map<string, FirstSeenRow>();
    return {
      add: async (stored) => {
        if (stored.length === 0) return;
        const catalog = await this.deps.catalog();
        for (const s of stored) keepEarliest(best, firstSeenRows(s.policyId, s.versions, catalog));
      },
      flush: async () => {
        if (best.size > 0) await this.deps.events.recordFirstSeen([...best.values()]);
        best.clear();
      },
    };
  }

  /**
   * Versions were written or a policy deprecated: record first-seen grants of all affected
   * policies first (first-seen is judged across policies in AWS-date order), then recompute
   * each affected policy's events.
   */
  async policiesChanged(policyIds: readonly number[], signal?: AbortSignal, opts: PoliciesChangedOptions = {}): Promise<{ written: number; deleted: number }> {
    let ids = [...new Set(policyIds)];
    if (ids.length === 0) return { written: 0, deleted: 0 };
    const catalog = await this.deps.catalog();
    const { events } = this.deps;
    if (opts.datesMoved) ids = [...new Set([...ids, ...(await this.rebuildFirstSeen(catalog, signal))])].sort((a, b) => a - b);
    const chunks = this.chunked(ids);
    // Both passes overlap the database with our own CPU: the next chunk is read, and the last one
    // written, while this one is computed (a full import is ~60 % database time otherwise).
    if (!opts.firstSeenRecorded && !opts.datesMoved) {
      await readComputeWrite(chunks, signal, (slice) => events.policyHistories(slice), (histories) => {
        const rows = histories.flatMap((h) => firstSeenRows(h.policy.id, grantingVersionsOf(h), catalog));
        return () => events.recordFirstSeen(rows);
      });
    }
    const firstSeen = new FirstSeenIndex(await events.loadFirstSeen());
    let written = 0;
    let deleted = 0;
    await readComputeWrite(chunks, signal, (slice) => events.policyHistories(slice), async (histories, slice) => {
      const computed: EventRecord[] = [];
      for (const h of histories) {
        computed.push(...computePolicyEvents(h, catalog, firstSeen));
        // The previous chunk's write is a transaction of several statements: let it move on.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return async () => {
        const r = await events.syncEvents(slice, computed, opts.sync);
        written += r.written;
        deleted += r.deleted;
        opts.onProgress?.(slice.length);
      };
    });
    this.deps.log.info({ policies: ids.length, written, deleted }, 'change events computed');
    return { written, deleted };
  }

  private chunked(ids: readonly number[]): number[][] {
    const chunk = this.deps.chunkSize ?? 25;
    const chunks: number[][] = [];
    for (let i = 0; i < ids.length; i += chunk) chunks.push(ids.slice(i, i + chunk));
    return chunks;
  }

  /**
   * First-seen times from every policy's history, written where they differ from the stored ones
   * (recording keeps the earliest date, so a date that moved later would otherwise stay). Returns
   * the policies whose events added an action (or an action of a service) whose time changed.
   */
  private async rebuildFirstSeen(catalog: Catalog, signal?: AbortSignal): Promise<number[]> {
    const { events } = this.deps;
    const best = new Map<string, FirstSeenRow>();
    await readComputeWrite(this.chunked(await events.allPolicyIds()), signal, (slice) => events.policyHistories(slice), (histories) => {
      for (const h of histories) keepEarliest(best, firstSeenRows(h.policy.id, grantingVersionsOf(h), catalog));
      return () => Promise.resolve();
    });
    const old = new Map((await events.loadFirstSeen()).map((r) => [r.actionKey, r]));
    const changed = [...best.values()].filter((r) => {
      const o = old.get(r.actionKey);
      return !o || o.firstSeenAt.getTime() !== r.firstSeenAt.getTime() || o.policyId !== r.policyId || o.versionId !== r.versionId;
    });
    const removed = [...old.keys()].filter((k) => !best.has(k));
    const moved = new Set([...changed.filter((r) => old.get(r.actionKey)?.firstSeenAt.getTime() !== r.firstSeenAt.getTime()).map((r) => r.actionKey), ...removed]);
    if (changed.length + removed.length > 0) await events.setFirstSeen(changed, removed);
    // A service's first-seen time is its earliest action's.
    const serviceTimes = (rows: Iterable<FirstSeenRow>) => {
      const m = new Map<string, number>();
      for (const r of rows) m.set(r.service, Math.min(m.get(r.service) ?? Infinity, r.firstSeenAt.getTime()));
      return m;
    };
    const [before, after] = [serviceTimes(old.values()), serviceTimes(best.values())];
    const services = [...new Set([...before.keys(), ...after.keys()])].filter((s) => before.get(s) !== after.get(s));
    this.deps.log.info({ actions: best.size, moved: moved.size, services: services.length }, 'first-seen times rebuilt after dates moved');
    return events.policiesAddingActions([...moved], services);
  }

  /** Finds versions or deprecations without events (a process died mid-way) and fills them in. */
  async reconcile(signal?: AbortSignal, opts: PoliciesChangedOptions = {}) {
    const ids = await this.deps.events.policiesMissingEvents();
    if (ids.length > 0) this.deps.log.info({ policies: ids.length }, 'computing missing change events');
    return this.policiesChanged(ids, signal, opts);
  }
}
