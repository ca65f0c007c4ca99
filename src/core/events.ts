// Change events: what the diff engine says about each stored version, in the shape the API,
// the feeds and (later) the alert outbox consume. Pure types and the store interface.
import type { JsonValue } from './history.ts';
import type { Transaction } from './alerts.ts';

export type EventKind = 'created' | 'metadata_only' | 'cosmetic' | 'permissions_changed' | 'deprecated';
export const EVENT_KINDS: readonly EventKind[] = ['created', 'metadata_only', 'cosmetic', 'permissions_changed', 'deprecated'];
/** What the change feed shows unless asked for kind=all. */
export const DEFAULT_FEED_KINDS: readonly EventKind[] = ['created', 'permissions_changed', 'deprecated'];

export type ActionChangeKind = 'added' | 'removed' | 'scope_changed' | 'deny_added' | 'deny_removed' | 'deny_scope_changed';

/**
 * The per-action changes of an event, grouped: one record per (change, service, access level,
 * flags) holding the lower-cased names of the actions that share them. Filters on service, access
 * level and flag match a group exactly, an action filter by membership. Grouping keeps a wildcard
 * or NotAction grant (20,000+ actions in one event) to a few hundred rows instead of one per action.
 */
export interface ActionGroupRecord {
  change: ActionChangeKind;
  service: string;
  accessLevel: string;
  flags: string[];
  actionKeys: string[];
}

export interface EventRecord {
  id: string;
  policyId: number;
  kind: EventKind;
  fromVersionId: string | null;
  toVersionId: string | null;
  fromVersionNumber: number | null;
  toVersionNumber: number | null;
  /** AWS's create date; for an unreliable date, the event's position inside [occurredAfter, occurredBefore] (ordering only). */
  occurredAt: Date;
  occurredAtUnreliable: boolean;
  /** Unreliable dates only: the previous reliably dated version's date (null: none). */
  occurredAfter: Date | null;
  /** Unreliable dates only: the next reliably dated version's date, or when the version was first stored. */
  occurredBefore: Date | null;
  source: string;
  broadened: boolean;
  narrowed: boolean;
  catalogVersion: string | null;
  /** The packed diff (core/diff-codec.ts) as JSON text: serialised once, for the fingerprint and the store. */
  diffJson: string;
  flags: string[];
  fingerprint: string;
  actionGroups: ActionGroupRecord[];
}

export interface StoredEvent extends Omit<EventRecord, 'actionGroups' | 'fingerprint' | 'policyId' | 'diffJson'> {
  diff: JsonValue;
  policy: { name: string; arn: string };
  /** Flags from the documentation-history join (see core/doc-history.ts). */
  docFlags: string[];
  detectedAt: Date;
  updatedAt: Date;
}

export interface VersionDoc {
  versionId: string;
  versionNumber: number;
  /** The stored document as JSON text, parsed where it is used: histories in memory stay small. */
  documentJson: string;
  documentHash: string;
  awsCreatedAt: Date | null;
  createDateUnreliable: boolean;
  observedAt: Date;
  source: string;
}

export interface PolicyHistory {
  policy: { id: number; name: string; arn: string; deprecatedAt: Date | null };
  versions: VersionDoc[];
}

export interface FirstSeenRow {
  actionKey: string;
  service: string;
  firstSeenAt: Date;
  policyId: number;
  versionId: string;
}

/** Keeps, per action, the row with the earliest first-seen time (in `best`, which it returns). */
export function keepEarliest(best: Map<string, FirstSeenRow>, rows: Iterable<FirstSeenRow>): Map<string, FirstSeenRow> {
  for (const r of rows) {
    const prev = best.get(r.actionKey);
    if (!prev || r.firstSeenAt < prev.firstSeenAt) best.set(r.actionKey, r);
  }
  return best;
}

export interface ChangeFilter {
  policyIds?: number[] | undefined;
  /** SQL LIKE pattern on the policy name (from a glob). */
  policyLike?: string | undefined;
  service?: string | undefined;
  actionKey?: string | undefined;
  accessLevel?: string | undefined;
  flag?: string | undefined;
  /** Only events with an action group of one of these changes (matching the service/action/access-level filters). */
  changes?: readonly ActionChangeKind[] | undefined;
  /** Leave out events whose date is not known (occurredAtUnreliable). */
  reliableDatesOnly?: boolean | undefined;
  kinds?: readonly EventKind[] | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Keyset cursor: events strictly older than (occurredAt, id). */
  before?: { occurredAt: Date; id: string } | undefined;
  limit: number;
}

/** What else commits in the transaction that stores events (the alert outbox). */
export interface SyncOptions {
  /** Runs in the same transaction, after the inserts, with the events that are new (not updated). */
  onInserted?: (tx: Transaction, inserted: EventRecord[]) => Promise<void>;
}

export interface EventStore {
  policyHistory(policyId: number): Promise<PolicyHistory | null>;
  policyHistories(policyIds: number[]): Promise<PolicyHistory[]>;
  policyIdsByName(names: string[]): Promise<Map<string, number>>;
  allPolicyIds(): Promise<number[]>;
  /** Policies whose stored versions or deprecation lack an event (a crash between write and events). */
  policiesMissingEvents(): Promise<number[]>;
  loadFirstSeen(): Promise<FirstSeenRow[]>;
  /** Keeps, per action, the earliest date (upsert with LEAST). */
  recordFirstSeen(rows: FirstSeenRow[]): Promise<void>;
  /** Overwrites the given actions' rows and deletes the others named (a rebuild after dates moved). */
  setFirstSeen(rows: FirstSeenRow[], removeKeys: string[]): Promise<void>;
  /** Policies with an event that added one of these actions, or any action of these services. */
  policiesAddingActions(actionKeys: string[], services: string[]): Promise<number[]>;
  /**
   * Makes the stored events of these policies equal to `events` in one transaction: rows whose
   * fingerprint is unchanged are left alone, others rewritten, events no longer computed deleted.
   */
  syncEvents(policyIds: number[], events: EventRecord[], opts?: SyncOptions): Promise<{ written: number; deleted: number }>;
  listChanges(f: ChangeFilter): Promise<StoredEvent[]>;
  getChange(id: string): Promise<StoredEvent | null>;
  /** Each non-deprecated policy's current version (flagged default, else the newest). */
  currentVersions(): Promise<{ name: string; arn: string; versionId: string; documentHash: string }[]>;
  documentsByHash(hashes: string[]): Promise<Map<string, JsonValue>>;
  /** Events that added or removed an action (allow or deny side), newest first, older than `before` when given. */
  eventsForAction(actionKey: string, page: { limit: number; before?: { occurredAt: Date; id: string } | undefined }): Promise<(StoredEvent & { change: ActionChangeKind })[]>;
}
