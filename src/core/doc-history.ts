// AWS documentation history: the feeds we poll, their stored entries, the policy names entries
// mention and the join of entries to change events. Pure types and the store interface; src/db
// implements it with Prisma.
import type { EventKind } from './events.ts';

/** Flags the join puts on change events (next to the diff engine's per-action flags). */
export const EVENT_DOC_FLAGS = ['undocumented', 'doc-says-added-but-narrowed', 'doc-says-removed-but-broadened'] as const;
export type EventDocFlag = (typeof EVENT_DOC_FLAGS)[number];
/** Flags the join puts on entries. */
export const ENTRY_FLAGS = ['documented-not-observed', 'doc-says-added-but-narrowed', 'doc-says-removed-but-broadened'] as const;
export type EntryFlag = (typeof ENTRY_FLAGS)[number];

export type EntryKind = 'new_policy' | 'updated_policy' | 'deprecated_policy' | 'other';
export const ENTRY_KINDS: readonly EntryKind[] = ['new_policy', 'updated_policy', 'deprecated_policy', 'other'];
export type StatedDirection = 'added' | 'removed' | 'mixed' | 'unknown';

/** Where a feed row came from: the built-in list, POLICYWATCH_RSS_FEEDS, or POST /api/feeds. */
export type FeedOrigin = 'default' | 'env' | 'api';
/** ok: fetched and parsed; partial: parsed but some entries have problems (bad dates); failed: nothing stored. */
export type FeedStatus = 'ok' | 'partial' | 'not_modified' | 'failed';

export interface FeedRow {
  id: number;
  url: string;
  title: string | null;
  services: string[];
  enabled: boolean;
  origin: FeedOrigin;
  etag: string | null;
  lastModified: string | null;
  lastPolledAt: Date | null;
  lastStatus: FeedStatus | null;
  lastError: string | null;
  createdAt: Date;
  entryCount: number;
}

export interface NewFeed {
  url: string;
  title: string | null;
  services: string[];
  origin: FeedOrigin;
}

export interface FeedPollRecord {
  status: FeedStatus;
  error: string | null;
  at: Date;
  /** Validators to keep; undefined leaves the stored ones (failures, 304). */
  validators?: { etag: string | null; lastModified: string | null };
  /** Set only when the row has no title yet. */
  titleIfMissing?: string;
}

export interface NewEntry {
  identity: string;
  guid: string;
  title: string;
  link: string | null;
  descriptionHtml: string;
  descriptionText: string;
  publishedAt: Date | null;
  rawPubDate: string;
  dateProblem: string | null;
  kind: EntryKind;
  statedDirection: StatedDirection;
}

/** What mention resolution reads of each entry. */
export interface EntryText {
  id: string;
  title: string;
  link: string | null;
  descriptionHtml: string;
  descriptionText: string;
}

export interface MentionRow {
  entryId: string;
  policyName: string;
  resolved: boolean;
}

/** The join's view of an entry. */
export interface JoinEntry {
  id: string;
  feedId: number;
  publishedAt: Date | null;
  kind: EntryKind;
  statedDirection: StatedDirection;
  /** Resolved policy names. */
  policies: string[];
}

/** The join's view of a change event. */
export interface JoinEvent {
  id: string;
  policyName: string;
  kind: EventKind;
  occurredAt: Date;
  occurredAtUnreliable: boolean;
  broadened: boolean;
  narrowed: boolean;
  /** Services of the event's action rows (loaded for permissions_changed events only). */
  services: string[];
}

export interface JoinFeed {
  id: number;
  enabled: boolean;
  services: string[];
  /** Earliest policy-related entry (kind ≠ other) we hold: the feed vouches for changes from then on. */
  coversFrom: Date | null;
}

export interface JoinLink {
  entryId: string;
  eventId: string;
}

export interface JoinResult {
  links: JoinLink[];
  /** Every event that should carry doc flags (others are cleared). */
  eventFlags: Map<string, string[]>;
  /** Every entry that should carry flags (others are cleared). */
  entryFlags: Map<string, string[]>;
}

export interface JoinInputs {
  entries: JoinEntry[];
  events: JoinEvent[];
}

/** An entry as shown beside a change event. */
export interface DocRef {
  id: string;
  feed: { id: number; title: string | null; url: string };
  title: string;
  /** Safe plain text (tags stripped, entities decoded once); never HTML. */
  description: string;
  link: string | null;
  publishedAt: Date | null;
  kind: EntryKind;
  statedDirection: StatedDirection;
}

export interface EntryFilter {
  /** SQL LIKE pattern on a mentioned policy name (from a glob). */
  policyLike?: string | undefined;
  feedId?: number | undefined;
  kind?: EntryKind | undefined;
  flag?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Keyset cursor, newest first by (publishedAt desc nulls last, id desc). */
  before?: { publishedAt: Date | null; id: string } | undefined;
  limit: number;
}

export interface StoredEntry {
  id: string;
  feed: { id: number; title: string | null; url: string };
  guid: string;
  title: string;
  description: string;
  link: string | null;
  publishedAt: Date | null;
  rawPubDate: string;
  dateProblem: string | null;
  kind: EntryKind;
  statedDirection: StatedDirection;
  flags: string[];
  firstSeenAt: Date;
  policies: { name: string; resolved: boolean }[];
  events: { id: string; policy: string; kind: string; fromVersionId: string | null; toVersionId: string | null; occurredAt: Date }[];
}

export interface DocHistoryStore {
  /** Feeds by id; a page starts after `afterId` (all feeds without a page). */
  listFeeds(page?: { afterId?: number | undefined; limit: number }): Promise<FeedRow[]>;
  countFeeds(): Promise<number>;
  getFeed(id: number): Promise<FeedRow | null>;
  /** Inserts the feed; null when a feed with that URL exists. */
  createFeed(f: NewFeed): Promise<FeedRow | null>;
  deleteFeed(id: number): Promise<boolean>;
  /**
   * Makes the configured list (POLICYWATCH_RSS_FEEDS or the defaults) the active one: missing
   * URLs inserted, listed ones enabled, other feeds that came from configuration disabled.
   * Feeds added through the API are left alone.
   */
  applyConfiguredFeeds(feeds: NewFeed[]): Promise<{ inserted: number; enabled: number; disabled: number }>;
  recordFeedPoll(id: number, r: FeedPollRecord): Promise<void>;
  /** Inserts new entries; existing ones (same identity) get their text refreshed if it changed. */
  upsertEntries(feedId: number, entries: NewEntry[]): Promise<{ inserted: string[]; updated: number }>;
  /** Every entry's text, for mention resolution. */
  entryTexts(): Promise<EntryText[]>;
  policyNames(): Promise<Set<string>>;
  /** Makes the stored mentions equal to `rows`; returns rows written and deleted. */
  syncMentions(rows: MentionRow[]): Promise<{ written: number; deleted: number }>;
  /**
   * Join inputs: every entry with its resolved mentions; the events of the policies they name,
   * plus (with their action services) the permissions_changed events since `undocumentedSince`.
   */
  joinInputs(kinds: readonly EventKind[], undocumentedSince: Date | null): Promise<JoinInputs>;
  /** Every feed with the date of the earliest policy-related entry we hold of it. */
  feedCoverage(): Promise<JoinFeed[]>;
  /** Makes stored links and flags equal to the result (one transaction); returns what changed. */
  syncJoins(r: JoinResult): Promise<{ linksAdded: number; linksRemoved: number; eventsFlagged: number; entriesFlagged: number }>;
  listEntries(f: EntryFilter): Promise<StoredEntry[]>;
  /** Linked entries per event id, newest first. */
  docRefsForEvents(eventIds: string[]): Promise<Map<string, DocRef[]>>;
}
