// Prisma implementation of DocHistoryStore: feeds, entries, mentions and the entry ↔ event join.
import type {
  DocHistoryStore, DocRef, EntryFilter, EntryKind, EntryText, FeedOrigin, FeedPollRecord, FeedRow, FeedStatus, JoinEvent,
  JoinFeed, JoinInputs, JoinResult, MentionRow, NewEntry, NewFeed, StatedDirection, StoredEntry,
} from '../../core/doc-history.ts';
import type { EventKind } from '../../core/events.ts';
import type { PrismaClient, Prisma } from '../generated/client.ts';

const feedSelect = {
  id: true, url: true, title: true, services: true, enabled: true, origin: true, etag: true, lastModified: true,
  lastPolledAt: true, lastStatus: true, lastError: true, createdAt: true, _count: { select: { entries: true } },
} as const;

type FeedDbRow = Prisma.FeedGetPayload<{ select: typeof feedSelect }>;

const toFeed = ({ _count, ...r }: FeedDbRow): FeedRow => ({
  ...r, services: r.services ?? [], origin: r.origin as FeedOrigin, lastStatus: r.lastStatus as FeedStatus | null, entryCount: _count.entries,
});

const refSelect = {
  id: true, title: true, descriptionText: true, link: true, publishedAt: true, kind: true, statedDirection: true,
  feed: { select: { id: true, title: true, url: true } },
} as const;

type RefRow = Prisma.DocHistoryEntryGetPayload<{ select: typeof refSelect }>;

const toRef = (r: RefRow): DocRef => ({
  id: r.id.toString(), feed: r.feed, title: r.title, description: r.descriptionText, link: r.link, publishedAt: r.publishedAt,
  kind: r.kind as EntryKind, statedDirection: r.statedDirection as StatedDirection,
});

const entrySelect = {
  id: true, guid: true, title: true, descriptionText: true, link: true, publishedAt: true, rawPubDate: true, dateProblem: true,
  kind: true, statedDirection: true, flags: true, firstSeenAt: true,
  feed: { select: { id: true, title: true, url: true } },
  mentions: { select: { policyName: true, resolved: true }, orderBy: { policyName: 'asc' } },
  links: {
    select: {
      event: { select: { id: true, kind: true, fromVersionId: true, toVersionId: true, occurredAt: true, policy: { select: { name: true } } } },
    },
  },
} as const;

type EntryDbRow = Prisma.DocHistoryEntryGetPayload<{ select: typeof entrySelect }>;

const toEntry = (r: EntryDbRow): StoredEntry => ({
  id: r.id.toString(), feed: r.feed, guid: r.guid, title: r.title, description: r.descriptionText, link: r.link,
  publishedAt: r.publishedAt, rawPubDate: r.rawPubDate, dateProblem: r.dateProblem, kind: r.kind as EntryKind,
  statedDirection: r.statedDirection as StatedDirection, flags: r.flags ?? [], firstSeenAt: r.firstSeenAt,
  policies: r.mentions.map((m) => ({ name: m.policyName, resolved: m.resolved })),
  events: r.links
    .map(({ event: e }) => ({ id: e.id, policy: e.policy.name, kind: e.kind, fromVersionId: e.fromVersionId, toVersionId: e.toVersionId, occurredAt: e.occurredAt }))
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : -1)),
});

const sameFlags = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const CHUNK = 5000;

export class PrismaDocHistoryStore implements DocHistoryStore {
  constructor(private readonly prisma: PrismaClient) {}

  async listFeeds(page?: { afterId?: number | undefined; limit: number }) {
    return (await this.prisma.feed.findMany({
      orderBy: { id: 'asc' }, select: feedSelect,
      ...(page ? { take: page.limit, ...(page.afterId !== undefined ? { where: { id: { gt: page.afterId } } } : {}) } : {}),
    })).map(toFeed);
  }

  countFeeds() {
    return this.prisma.feed.count();
  }

  async getFeed(id: number) {
    const r = await this.prisma.feed.findUnique({ where: { id }, select: feedSelect });
    return r ? toFeed(r) : null;
  }

  async createFeed(f: NewFeed) {
    const { count } = await this.prisma.feed.createMany({ data: [f], skipDuplicates: true });
    if (count === 0) return null;
    const r = await this.prisma.feed.findUnique({ where: { url: f.url }, select: feedSelect });
    return r ? toFeed(r) : null;
  }

  async deleteFeed(id: number) {
    return (await this.prisma.feed.deleteMany({ where: { id } })).count > 0;
  }

  async applyConfiguredFeeds(feeds: NewFeed[]) {
    const urls = feeds.map((f) => f.url);
    return this.prisma.$transaction(async (tx) => {
      const inserted = feeds.length ? (await tx.feed.createMany({ data: feeds, skipDuplicates: true })).count : 0;
      const enabled = (await tx.feed.updateMany({ where: { url: { in: urls }, enabled: false }, data: { enabled: true } })).count;
      const disabled = (await tx.feed.updateMany({ where: { origin: { in: ['default', 'env'] }, url: { notIn: urls }, enabled: true }, data: { enabled: false } })).count;
      return { inserted, enabled, disabled };
    });
  }

  async recordFeedPoll(id: number, r: FeedPollRecord) {
    await this.prisma.$transaction(async (tx) => {
      await tx.feed.updateMany({
        where: { id },
        data: {
          lastStatus: r.status, lastError: r.error, lastPolledAt: r.at,
          ...(r.validators ? { etag: r.validators.etag, lastModified: r.validators.lastModified } : {}),
        },
      });
      if (r.titleIfMissing) await tx.feed.updateMany({ where: { id, title: null }, data: { title: r.titleIfMissing } });
    });
  }

  async upsertEntries(feedId: number, entries: NewEntry[]) {
    const inserted: string[] = [];
    let updated = 0;
    for (let i = 0; i < entries.length; i += 1000) {
      const c = entries.slice(i, i + 1000);
      // Set-based upsert. The identity hashes feed URL, guid, title and raw date, so a conflict is
      // the same entry: only wording that AWS may have edited (description, link) is refreshed.
      const rows = await this.prisma.$queryRaw<{ id: bigint; inserted: boolean }[]>`
        INSERT INTO doc_history_entries
          (feed_id, identity, guid, title, link, description_html, description_text, published_at, raw_pub_date, date_problem, kind, stated_direction)
        SELECT ${feedId}::int, t.identity, t.guid, t.title, t.link, t.dh, t.dt, t.pa::timestamptz, t.rp, t.dp, t.k, t.sd
        FROM unnest(${c.map((e) => e.identity)}::text[], ${c.map((e) => e.guid)}::text[], ${c.map((e) => e.title)}::text[],
                    ${c.map((e) => e.link)}::text[], ${c.map((e) => e.descriptionHtml)}::text[], ${c.map((e) => e.descriptionText)}::text[],
                    ${c.map((e) => e.publishedAt?.toISOString() ?? null)}::text[], ${c.map((e) => e.rawPubDate)}::text[],
                    ${c.map((e) => e.dateProblem)}::text[], ${c.map((e) => e.kind)}::text[], ${c.map((e) => e.statedDirection)}::text[])
          AS t(identity, guid, title, link, dh, dt, pa, rp, dp, k, sd)
        ON CONFLICT (identity) DO UPDATE SET
          link = EXCLUDED.link, description_html = EXCLUDED.description_html, description_text = EXCLUDED.description_text,
          kind = EXCLUDED.kind, stated_direction = EXCLUDED.stated_direction
        WHERE (doc_history_entries.link, doc_history_entries.description_html, doc_history_entries.kind, doc_history_entries.stated_direction)
          IS DISTINCT FROM (EXCLUDED.link, EXCLUDED.description_html, EXCLUDED.kind, EXCLUDED.stated_direction)
        RETURNING id, (xmax = 0) AS inserted`;
      for (const r of rows) {
        if (r.inserted) inserted.push(r.id.toString());
        else updated++;
      }
    }
    return { inserted, updated };
  }

  async entryTexts(): Promise<EntryText[]> {
    const rows = await this.prisma.docHistoryEntry.findMany({
      select: { id: true, title: true, link: true, descriptionHtml: true, descriptionText: true },
      orderBy: { id: 'asc' },
    });
    return rows.map((r) => ({ ...r, id: r.id.toString() }));
  }

  async policyNames() {
    return new Set((await this.prisma.policy.findMany({ select: { name: true } })).map((p) => p.name));
  }

  async syncMentions(rows: MentionRow[]) {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.docHistoryMention.findMany();
      const key = (e: string, p: string) => `${e}\u0000${p}`;
      const want = new Map(rows.map((r) => [key(r.entryId, r.policyName), r]));
      const have = new Map(existing.map((m) => [key(m.entryId.toString(), m.policyName), m]));
      const drop = existing.filter((m) => !want.has(key(m.entryId.toString(), m.policyName)));
      const write = rows.filter((r) => have.get(key(r.entryId, r.policyName))?.resolved !== r.resolved);
      for (let i = 0; i < drop.length; i += CHUNK) {
        const c = drop.slice(i, i + CHUNK);
        await tx.$executeRaw`
          DELETE FROM doc_history_mentions m
          USING unnest(${c.map((d) => d.entryId.toString())}::text[], ${c.map((d) => d.policyName)}::text[]) AS d(e, p)
          WHERE m.entry_id = d.e::bigint AND m.policy_name = d.p`;
      }
      for (let i = 0; i < write.length; i += CHUNK) {
        const c = write.slice(i, i + CHUNK);
        await tx.$executeRaw`
          INSERT INTO doc_history_mentions (entry_id, policy_name, resolved)
          SELECT e::bigint, p, r FROM unnest(${c.map((w) => w.entryId)}::text[], ${c.map((w) => w.policyName)}::text[], ${c.map((w) => w.resolved)}::boolean[]) AS t(e, p, r)
          ON CONFLICT (entry_id, policy_name) DO UPDATE SET resolved = EXCLUDED.resolved`;
      }
      return { written: write.length, deleted: drop.length };
    }, { timeout: 120_000, maxWait: 30_000 });
  }

  async joinInputs(kinds: readonly EventKind[], undocumentedSince: Date | null): Promise<JoinInputs> {
    const entryRows = await this.prisma.docHistoryEntry.findMany({
      select: { id: true, feedId: true, publishedAt: true, kind: true, statedDirection: true, mentions: { where: { resolved: true }, select: { policyName: true } } },
      orderBy: { id: 'asc' },
    });
    const entries = entryRows.map((r) => ({
      id: r.id.toString(), feedId: r.feedId, publishedAt: r.publishedAt, kind: r.kind as EntryKind,
      statedDirection: r.statedDirection as StatedDirection, policies: r.mentions.map((m) => m.policyName).sort(),
    }));
    const events = new Map<string, JoinEvent>();
    const names = [...new Set(entries.flatMap((e) => e.policies))];
    for (let i = 0; i < names.length; i += CHUNK) {
      const rows = await this.prisma.changeEvent.findMany({
        where: { kind: { in: [...kinds] }, policy: { name: { in: names.slice(i, i + CHUNK) } } },
        select: { id: true, kind: true, occurredAt: true, occurredAtUnreliable: true, broadened: true, narrowed: true, policy: { select: { name: true } } },
      });
      for (const { policy, ...e } of rows) events.set(e.id, { ...e, kind: e.kind as EventKind, policyName: policy.name, services: [] });
    }
    if (undocumentedSince) {
      const rows = await this.prisma.$queryRaw<{ id: string; name: string; occurred_at: Date; unreliable: boolean; broadened: boolean; narrowed: boolean; services: string[] | null }[]>`
        SELECT e.id, p.name, e.occurred_at, e.occurred_at_unreliable AS unreliable, e.broadened, e.narrowed,
               array_remove(array_agg(DISTINCT a.service), NULL) AS services
        FROM change_events e
        JOIN policies p ON p.id = e.policy_id
        LEFT JOIN action_changes a ON a.event_id = e.id
        WHERE e.kind = 'permissions_changed' AND e.occurred_at >= ${undocumentedSince}
        GROUP BY e.id, p.name`;
      for (const r of rows) {
        events.set(r.id, {
          id: r.id, policyName: r.name, kind: 'permissions_changed', occurredAt: r.occurred_at, occurredAtUnreliable: r.unreliable,
          broadened: r.broadened, narrowed: r.narrowed, services: (r.services ?? []).sort(),
        });
      }
    }
    return { entries, events: [...events.values()] };
  }

  async feedCoverage(): Promise<JoinFeed[]> {
    const [feedRows, coverage] = await Promise.all([
      this.prisma.feed.findMany({ select: { id: true, enabled: true, services: true }, orderBy: { id: 'asc' } }),
      // A guide documents policy changes from its first policy entry on ("started tracking changes"),
      // not from the start of its whole history.
      this.prisma.docHistoryEntry.groupBy({ by: ['feedId'], where: { kind: { not: 'other' } }, _min: { publishedAt: true } }),
    ]);
    const from = new Map(coverage.map((c) => [c.feedId, c._min.publishedAt]));
    return feedRows.map((f) => ({ id: f.id, enabled: f.enabled, services: f.services ?? [], coversFrom: from.get(f.id) ?? null }));
  }

  async syncJoins(r: JoinResult) {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.docHistoryLink.findMany();
      const key = (e: string, v: string) => `${e}\u0000${v}`;
      const want = new Set(r.links.map((l) => key(l.entryId, l.eventId)));
      const have = new Set(existing.map((l) => key(l.entryId.toString(), l.eventId)));
      const drop = existing.filter((l) => !want.has(key(l.entryId.toString(), l.eventId)));
      const add = r.links.filter((l) => !have.has(key(l.entryId, l.eventId)));
      for (let i = 0; i < drop.length; i += CHUNK) {
        const c = drop.slice(i, i + CHUNK);
        await tx.$executeRaw`
          DELETE FROM doc_history_links l
          USING unnest(${c.map((d) => d.entryId.toString())}::text[], ${c.map((d) => d.eventId)}::text[]) AS d(e, v)
          WHERE l.entry_id = d.e::bigint AND l.event_id = d.v`;
      }
      for (let i = 0; i < add.length; i += CHUNK) {
        // An event deleted meanwhile (recomputed by another process) is skipped, not an error.
        await tx.$executeRaw`
          INSERT INTO doc_history_links (entry_id, event_id)
          SELECT t.e::bigint, t.v FROM unnest(${add.slice(i, i + CHUNK).map((l) => l.entryId)}::text[], ${add.slice(i, i + CHUNK).map((l) => l.eventId)}::text[]) AS t(e, v)
          WHERE EXISTS (SELECT 1 FROM change_events c WHERE c.id = t.v) AND EXISTS (SELECT 1 FROM doc_history_entries d WHERE d.id = t.e::bigint)
          ON CONFLICT DO NOTHING`;
      }

      // Flags: rows whose desired set differs from the stored one, grouped by the new value.
      const flaggedEvents = await tx.changeEvent.findMany({ where: { NOT: { docFlags: { isEmpty: true } } }, select: { id: true, docFlags: true } });
      const eventUpdates = diffFlags(new Map(flaggedEvents.map((e) => [e.id, e.docFlags ?? []])), r.eventFlags);
      for (const [flags, ids] of eventUpdates) {
        for (let i = 0; i < ids.length; i += CHUNK) await tx.changeEvent.updateMany({ where: { id: { in: ids.slice(i, i + CHUNK) } }, data: { docFlags: flags } });
      }
      const flaggedEntries = await tx.docHistoryEntry.findMany({ where: { NOT: { flags: { isEmpty: true } } }, select: { id: true, flags: true } });
      const entryUpdates = diffFlags(new Map(flaggedEntries.map((e) => [e.id.toString(), e.flags ?? []])), r.entryFlags);
      for (const [flags, ids] of entryUpdates) {
        for (let i = 0; i < ids.length; i += CHUNK) {
          await tx.docHistoryEntry.updateMany({ where: { id: { in: ids.slice(i, i + CHUNK).map((x) => BigInt(x)) } }, data: { flags } });
        }
      }
      return {
        linksAdded: add.length, linksRemoved: drop.length,
        eventsFlagged: [...eventUpdates.values()].reduce((n, ids) => n + ids.length, 0),
        entriesFlagged: [...entryUpdates.values()].reduce((n, ids) => n + ids.length, 0),
      };
    }, { timeout: 120_000, maxWait: 30_000 });
  }

  async listEntries(f: EntryFilter): Promise<StoredEntry[]> {
    const and: Prisma.DocHistoryEntryWhereInput[] = [];
    if (f.policyLike) {
      const ids = await this.prisma.$queryRaw<{ entry_id: bigint }[]>`
        SELECT DISTINCT entry_id FROM doc_history_mentions WHERE policy_name LIKE ${f.policyLike} ESCAPE '\\'`;
      and.push({ id: { in: ids.map((r) => r.entry_id) } });
    }
    if (f.feedId !== undefined) and.push({ feedId: f.feedId });
    if (f.kind) and.push({ kind: f.kind });
    if (f.flag) and.push({ flags: { has: f.flag } });
    if (f.since) and.push({ publishedAt: { gte: f.since } });
    if (f.until) and.push({ publishedAt: { lt: f.until } });
    if (f.before) {
      const id = BigInt(f.before.id);
      and.push(f.before.publishedAt === null
        ? { publishedAt: null, id: { lt: id } }
        : { OR: [{ publishedAt: { lt: f.before.publishedAt } }, { publishedAt: f.before.publishedAt, id: { lt: id } }, { publishedAt: null }] });
    }
    const rows = await this.prisma.docHistoryEntry.findMany({
      where: { AND: and },
      orderBy: [{ publishedAt: { sort: 'desc', nulls: 'last' } }, { id: 'desc' }],
      take: f.limit,
      select: entrySelect,
    });
    return rows.map(toEntry);
  }

  async docRefsForEvents(eventIds: string[]) {
    const out = new Map<string, DocRef[]>();
    if (eventIds.length === 0) return out;
    const rows = await this.prisma.docHistoryLink.findMany({
      where: { eventId: { in: [...new Set(eventIds)] } },
      select: { eventId: true, entry: { select: refSelect } },
    });
    for (const r of rows) {
      const list = out.get(r.eventId) ?? [];
      list.push(toRef(r.entry));
      out.set(r.eventId, list);
    }
    const t = (d: Date | null) => d?.getTime() ?? -Infinity;
    for (const list of out.values()) list.sort((a, b) => t(b.publishedAt) - t(a.publishedAt) || Number(BigInt(b.id) - BigInt(a.id)));
    return out;
  }
}

/** Rows to update, keyed by the new flag list: desired sets (missing = none) against stored non-empty ones. */
function diffFlags(stored: Map<string, string[]>, desired: Map<string, string[]>): Map<string[], string[]> {
  const groups = new Map<string, { flags: string[]; ids: string[] }>();
  const put = (id: string, flags: string[]) => {
    const k = flags.join(',');
    const g = groups.get(k) ?? { flags, ids: [] };
    g.ids.push(id);
    groups.set(k, g);
  };
  for (const [id, flags] of desired) {
    const want = [...flags].sort();
    if (!sameFlags(stored.get(id) ?? [], want)) put(id, want);
  }
  for (const id of stored.keys()) if (!desired.has(id)) put(id, []);
  return new Map([...groups.values()].map((g) => [g.flags, g.ids]));
}
