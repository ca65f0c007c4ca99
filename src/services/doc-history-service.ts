// AWS documentation history: polls the document-history RSS feeds (conditional GET, timeout,
// size cap; a failing feed is recorded and never blocks the others), stores entries
// idempotently, resolves the policy names they mention and joins them to change events.
//
// The join (computeJoins, pure) links an entry to the change events of each policy it names whose
// version AWS created within ±window of the entry's date, and derives flags:
//   - on events: `undocumented` (a permissions_changed event no entry explains once the window has
//     closed, where an enabled feed covers the event's service and its history reaches back that
//     far), `doc-says-added-but-narrowed` / `doc-says-removed-but-broadened` (AWS's wording and
//     the diff's direction disagree);
//   - on entries: `documented-not-observed` (a policy-update entry whose policies show no
//     matching version) and the two disagreement flags.
// Everything the join writes is derived: it is recomputed in full after each RSS poll and after
// change events are (re)computed, writing only what differs.
import type { Logger } from '../core/logger.ts';
import type { PollError, PollRunRow, PollRunStore, PollStatus } from '../core/stores.ts';
import type {
  DocHistoryStore, DocRef, EntryFilter, FeedRow, JoinEntry, JoinEvent, JoinFeed, JoinInputs, JoinResult, NewEntry, NewFeed,
} from '../core/doc-history.ts';
import type { EventKind } from '../core/events.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../core/errors.ts';
import { OutboundError, type OutboundClient } from '../sources/outbound/index.ts';
import { LockLostError, type LockLease } from '../core/fence.ts';
import { pollErrorOf } from './poll-errors.ts';
import {
  DEFAULT_FEEDS, DEFAULT_MAX_FEED_BYTES, classifyEntry, extractPolicyMentions, pollFeeds, statedDirection,
  type FeedItem, type PollOptions,
} from '../sources/rss/index.ts';

const DAY_MS = 86_400_000;

/** Event kinds an entry can explain. metadata_only (a version bump, same document) never is. */
export const LINKABLE_KINDS: readonly EventKind[] = ['created', 'permissions_changed', 'cosmetic', 'deprecated'];

/**
 * Services that appear in other services' policies as plumbing (iam:PassRole,
 * iam:CreateServiceLinkedRole, sts:AssumeRole): they decide coverage only when an event touches
 * nothing else, so the IAM guide's feed does not claim every SageMaker change that adds PassRole.
 */
const PLUMBING_SERVICES = new Set(['iam', 'sts']);

export interface JoinOptions {
  windowDays: number;
  now: Date;
}

function primaryServices(services: readonly string[]): string[] {
  const own = services.filter((s) => !PLUMBING_SERVICES.has(s));
  return own.length > 0 ? own : [...services];
}

/** Pure: links and flags from entries, events and feeds. */
export function computeJoins(inputs: JoinInputs & { feeds: readonly JoinFeed[] }, o: JoinOptions): JoinResult {
  const w = o.windowDays * DAY_MS;
  const now = o.now.getTime();
  const byPolicy = new Map<string, JoinEvent[]>();
  for (const e of inputs.events) {
    // A backfilled date known to be wrong cannot be matched against a documentation date.
    if (e.occurredAtUnreliable || !LINKABLE_KINDS.includes(e.kind)) continue;
    const list = byPolicy.get(e.policyName) ?? [];
    list.push(e);
    byPolicy.set(e.policyName, list);
  }
  const links: JoinResult['links'] = [];
  const entriesOf = new Map<string, JoinEntry[]>();
  const eventsOf = new Map<string, JoinEvent[]>();
  for (const entry of inputs.entries) {
    if (entry.publishedAt === null) continue;
    const t = entry.publishedAt.getTime();
    for (const name of entry.policies) {
      for (const ev of byPolicy.get(name) ?? []) {
        // A deprecation is explained by a deprecation entry only; any wording explains a version.
        if (ev.kind === 'deprecated' && entry.kind !== 'deprecated_policy') continue;
        if (Math.abs(ev.occurredAt.getTime() - t) > w) continue;
        links.push({ entryId: entry.id, eventId: ev.id });
        entriesOf.set(ev.id, [...(entriesOf.get(ev.id) ?? []), entry]);
        eventsOf.set(entry.id, [...(eventsOf.get(entry.id) ?? []), ev]);
      }
    }
  }

  const covered = (ev: JoinEvent): boolean => {
    const services = primaryServices(ev.services);
    const t = ev.occurredAt.getTime();
    return inputs.feeds.some((f) => f.enabled && f.coversFrom !== null && t >= f.coversFrom.getTime() - w
      && (f.services.includes('*') || f.services.some((s) => services.includes(s))));
  };
  const disagreements = (ev: JoinEvent, entries: readonly JoinEntry[]): string[] => {
    const out: string[] = [];
    // "added" while the diff took permissions away (q:* → an explicit list) is the case to catch,
    // even when the same version also added a few actions.
    if (ev.narrowed && entries.some((e) => e.statedDirection === 'added')) out.push('doc-says-added-but-narrowed');
    if (ev.broadened && entries.some((e) => e.statedDirection === 'removed')) out.push('doc-says-removed-but-broadened');
    return out;
  };

  const eventFlags = new Map<string, string[]>();
  for (const ev of inputs.events) {
    const linked = entriesOf.get(ev.id) ?? [];
    const flags = disagreements(ev, linked);
    if (ev.kind === 'permissions_changed' && linked.length === 0 && !ev.occurredAtUnreliable && now > ev.occurredAt.getTime() + w && covered(ev)) {
      flags.push('undocumented');
    }
    if (flags.length > 0) eventFlags.set(ev.id, flags.sort());
  }
  const entryFlags = new Map<string, string[]>();
  for (const entry of inputs.entries) {
    const linked = eventsOf.get(entry.id) ?? [];
    const flags = new Set<string>();
    for (const ev of linked) for (const f of disagreements(ev, [entry])) flags.add(f);
    if (linked.length === 0 && entry.kind !== 'other' && entry.policies.length > 0 && entry.publishedAt !== null && now > entry.publishedAt.getTime() + w) {
      flags.add('documented-not-observed');
    }
    if (flags.size > 0) entryFlags.set(entry.id, [...flags].sort());
  }
  return { links, eventFlags, entryFlags };
}

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  concurrency: number;
  userAgent?: string | undefined;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 15_000, maxBytes: DEFAULT_MAX_FEED_BYTES, concurrency: 4 };

export interface FeedOutcome {
  feedId: number;
  url: string;
  status: 'ok' | 'partial' | 'not_modified' | 'failed';
  entriesAdded: number;
  entriesUpdated: number;
  error?: { code: string; message: string };
}

export interface RssPollResult {
  run: PollRunRow;
  feeds: FeedOutcome[];
  entriesAdded: number;
}

export interface AddFeedInput {
  url: string;
  title?: string | undefined;
  services?: string[] | undefined;
}

/** http(s), no credentials, normalised (WHATWG href) so duplicates compare equal. */
export function normalizeFeedUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new BadRequestError('INVALID_URL', `url must be an absolute http(s) URL, got ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BadRequestError('INVALID_URL', `url must use http or https, not ${u.protocol}`);
  if (u.username !== '' || u.password !== '') throw new BadRequestError('INVALID_URL', 'url must not contain credentials');
  u.hash = '';
  return u.href;
}

function toNewEntry(item: FeedItem): NewEntry {
  return {
    identity: item.identity, guid: item.guid, title: item.title, link: item.link, descriptionHtml: item.descriptionHtml,
    descriptionText: item.descriptionText, publishedAt: item.publishedAt, rawPubDate: item.rawPubDate, dateProblem: item.dateProblem ?? null,
    kind: classifyEntry(item), statedDirection: statedDirection(item),
  };
}

// Refused on the URL alone, before any lookup or connection. An address refused at connect time
// counts as an attempt: a redirect may have been followed to get there.
const NOT_SENT: ReadonlySet<string> = new Set(['invalid-url', 'blocked-scheme']);

export class DocHistoryService {
  readonly limits: FetchLimits;
  readonly windowDays: number;

  constructor(private readonly deps: {
    store: DocHistoryStore;
    runs: PollRunStore;
    log: Logger;
    /** POLICYWATCH_RSS_FEEDS; undefined: the built-in defaults. */
    configuredFeeds?: readonly string[] | undefined;
    windowDays?: number | undefined;
    /** The outbound-URL guard: every feed fetch and the create-time check of API-added URLs. */
    http: OutboundClient;
    limits?: Partial<FetchLimits> | undefined;
    now?: () => Date;
  }) {
    this.limits = { ...DEFAULT_FETCH_LIMITS, ...deps.limits };
    this.windowDays = deps.windowDays ?? 3;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Start-up: the configured feed list becomes the active one (idempotent). */
  async seedFeeds() {
    const defaults = new Map(DEFAULT_FEEDS.map((f) => [normalizeFeedUrl(f.url), f]));
    const feeds: NewFeed[] = this.deps.configuredFeeds
      ? [...new Set(this.deps.configuredFeeds.map(normalizeFeedUrl))].map((url) => {
        const d = defaults.get(url);
        return { url, title: d?.title ?? null, services: d ? [...d.services] : [], origin: 'env' as const };
      })
      : [...defaults].map(([url, d]) => ({ url, title: d.title, services: [...d.services], origin: 'default' as const }));
    const r = await this.deps.store.applyConfiguredFeeds(feeds);
    if (r.inserted + r.enabled + r.disabled > 0) this.deps.log.info({ ...r, source: this.deps.configuredFeeds ? 'POLICYWATCH_RSS_FEEDS' : 'defaults' }, 'documentation feeds configured');
    return r;
  }

  listFeeds() {
    return this.deps.store.listFeeds();
  }

  async addFeed(input: AddFeedInput): Promise<FeedRow> {
    const url = normalizeFeedUrl(input.url);
    await this.checkFeedUrl(url);
    const services = [...new Set((input.services ?? []).map((s) => s.toLowerCase()))].sort();
    const title = input.title?.trim() || null;
    const row = await this.deps.store.createFeed({ url, title, services, origin: 'api' });
    if (!row) throw new ConflictError('FEED_EXISTS', `a feed with url ${url} already exists`);
    return row;
  }

  /** The guard resolves the host now, so a name that points inside is refused before it is stored. */
  private async checkFeedUrl(url: string): Promise<void> {
    try {
      await this.deps.http.checkUrl(url);
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      const hint = err.reason === 'blocked-address' ? '; POLICYWATCH_ALLOW_PRIVATE_URLS=on allows loopback and private addresses' : '';
      throw new BadRequestError('URL_NOT_ALLOWED', `url refused (${err.reason}): ${err.message}${hint}`, { reason: err.reason });
    }
  }

  async deleteFeed(id: number): Promise<void> {
    if (!(await this.deps.store.deleteFeed(id))) throw new NotFoundError(`feed ${id}`, { id });
    // Its entries went with it: links and coverage (hence `undocumented`) change.
    await this.refresh();
  }

  /**
   * One poll of every enabled feed, recorded as a poll run with source 'rss'. `lease`: the poll
   * lock's, checked before each feed's writes (a poll that lost its lock stops, `lost-lock`).
   */
  async poll(signal?: AbortSignal, overrides: Partial<FetchLimits> = {}, lease?: LockLease): Promise<RssPollResult> {
    const limits = { ...this.limits, ...overrides };
    const { store, runs, log } = this.deps;
    const run = await runs.start('rss');
    const errors: PollError[] = [];
    const outcomes: FeedOutcome[] = [];
    const added: string[] = [];
    let apiCalls = 0;
    let feeds: FeedRow[] = [];
    let status: PollStatus;
    try {
      feeds = (await store.listFeeds()).filter((f) => f.enabled);
      const opts: PollOptions & { concurrency: number } = { http: this.deps.http, timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes, concurrency: limits.concurrency };
      if (signal) opts.signal = signal;
      if (limits.userAgent) opts.userAgent = limits.userAgent;
      const results = await pollFeeds(feeds.map((f) => ({
        url: f.url, state: { ...(f.etag ? { etag: f.etag } : {}), ...(f.lastModified ? { lastModified: f.lastModified } : {}) },
      })), opts);
      for (const [i, r] of results.entries()) {
        const f = feeds[i] as FeedRow;
        const at = new Date();
        // A URL the guard refuses outright never became a request.
        if (r.ok || !NOT_SENT.has(r.error.code)) apiCalls++;
        await lease?.assertHeld();
        try {
          if (!r.ok) {
            const message = `${r.error.code}: ${r.error.message}`;
            errors.push({ feed: f.url, code: r.error.code, message: r.error.message });
            await store.recordFeedPoll(f.id, { status: 'failed', error: message, at });
            outcomes.push({ feedId: f.id, url: f.url, status: 'failed', entriesAdded: 0, entriesUpdated: 0, error: { code: r.error.code, message: r.error.message } });
            log.warn({ feed: f.url, error: r.error }, 'feed poll failed');
            continue;
          }
          if (r.status === 'not_modified') {
            await store.recordFeedPoll(f.id, { status: 'not_modified', error: null, at });
            outcomes.push({ feedId: f.id, url: f.url, status: 'not_modified', entriesAdded: 0, entriesUpdated: 0 });
            continue;
          }
          const res = await store.upsertEntries(f.id, r.feed.items.map(toNewEntry));
          added.push(...res.inserted);
          const undated = r.feed.items.filter((it) => it.dateProblem !== undefined);
          let problem: string | null = null;
          if (undated.length > 0) {
            const sample = undated.slice(0, 3).map((it) => `"${it.title.slice(0, 80)}": ${it.dateProblem}`).join('; ');
            problem = `${undated.length} of ${r.feed.items.length} entries have no usable date (kept, not joined): ${sample}${undated.length > 3 ? '; …' : ''}`;
            errors.push({ feed: f.url, code: 'invalid_date', message: problem });
          }
          await store.recordFeedPoll(f.id, {
            status: problem ? 'partial' : 'ok', error: problem, at,
            validators: { etag: r.state.etag ?? null, lastModified: r.state.lastModified ?? null },
            ...(r.feed.title ? { titleIfMissing: r.feed.title } : {}),
          });
          outcomes.push({ feedId: f.id, url: f.url, status: problem ? 'partial' : 'ok', entriesAdded: res.inserted.length, entriesUpdated: res.updated });
        } catch (err) {
          // A storage failure for one feed is that feed's failure; the others go on.
          if (signal?.aborted) throw err;
          const e = pollErrorOf(err, { feed: f.url });
          errors.push(e);
          outcomes.push({ feedId: f.id, url: f.url, status: 'failed', entriesAdded: 0, entriesUpdated: 0, error: { code: e.code, message: e.message } });
          log.error({ err, feed: f.url }, 'storing feed entries failed');
        }
      }
      signal?.throwIfAborted();
      await lease?.assertHeld();
      try {
        await this.refresh(signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        errors.push({ code: 'join_failed', message: 'joining entries to change events failed; the next poll retries' });
        log.error({ err }, 'documentation join failed');
      }
      const failed = outcomes.filter((o) => o.status === 'failed').length;
      status = errors.length === 0 ? 'succeeded' : feeds.length > 0 && failed === feeds.length ? 'failed' : 'partial';
    } catch (err) {
      status = err instanceof LockLostError ? 'lost-lock' : signal?.aborted ? 'interrupted' : 'failed';
      errors.push(status === 'interrupted' ? { code: 'INTERRUPTED', message: 'the process shut down mid-poll; the next poll resumes' } : pollErrorOf(err));
      log.error({ err, status }, 'rss poll stopped');
    }
    const policies = added.length > 0 ? await this.policiesNamedBy(added).catch(() => 0) : 0;
    // For rss runs: policiesSeen = feeds polled, versionsAdded = new entries, policiesChanged =
    // distinct known policies named by new entries.
    const finished = await runs.finish(run.id, { status, apiCalls, policiesSeen: feeds.length, policiesChanged: policies, versionsAdded: added.length, errors });
    log.info({ run: finished.id, status: finished.status, apiCalls, entriesAdded: added.length, errors: errors.length }, 'rss poll finished');
    return { run: finished, feeds: outcomes, entriesAdded: added.length };
  }

  private async policiesNamedBy(entryIds: string[]): Promise<number> {
    const ids = new Set(entryIds);
    const { entries } = await this.deps.store.joinInputs([], null);
    return new Set(entries.filter((e) => ids.has(e.id)).flatMap((e) => e.policies)).size;
  }

  /** Re-resolves every entry's policy mentions, then recomputes the join. */
  async refresh(signal?: AbortSignal) {
    const mentions = await this.resolveMentions();
    signal?.throwIfAborted();
    const joins = await this.recomputeJoins();
    return { mentions, joins };
  }

  /** Change events were (re)computed: join them with the entries we hold. Never throws (derived data). */
  async eventsChanged(signal?: AbortSignal): Promise<void> {
    try {
      await this.refresh(signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      this.deps.log.error({ err }, 'documentation join after change events failed; the next rss poll retries');
    }
  }

  async resolveMentions() {
    const [texts, names] = await Promise.all([this.deps.store.entryTexts(), this.deps.store.policyNames()]);
    const rows = texts.flatMap((t) => {
      const m = extractPolicyMentions(t, names);
      return [
        ...m.resolved.map((policyName) => ({ entryId: t.id, policyName, resolved: true })),
        ...m.unresolved.map((policyName) => ({ entryId: t.id, policyName, resolved: false })),
      ];
    });
    return this.deps.store.syncMentions(rows);
  }

  async recomputeJoins() {
    const w = this.windowDays * DAY_MS;
    const feeds = await this.deps.store.feedCoverage();
    // Only events a feed could vouch for need their services loaded for `undocumented`.
    const starts = feeds.filter((f) => f.enabled && f.coversFrom !== null && f.services.length > 0).map((f) => (f.coversFrom as Date).getTime() - w);
    const since = starts.length > 0 ? new Date(Math.min(...starts)) : null;
    const inputs = await this.deps.store.joinInputs(LINKABLE_KINDS, since);
    const result = computeJoins({ ...inputs, feeds }, { windowDays: this.windowDays, now: this.now() });
    const r = await this.deps.store.syncJoins(result);
    if (r.linksAdded + r.linksRemoved + r.eventsFlagged + r.entriesFlagged > 0) this.deps.log.info(r, 'documentation join updated');
    return r;
  }

  listEntries(f: EntryFilter) {
    return this.deps.store.listEntries(f);
  }

  docRefsForEvents(eventIds: string[]): Promise<Map<string, DocRef[]>> {
    return this.deps.store.docRefsForEvents(eventIds);
  }
}
