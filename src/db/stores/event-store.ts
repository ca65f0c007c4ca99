// Prisma implementation of EventStore.
import type {
  ActionChangeKind, ChangeFilter, EventRecord, EventStore, FirstSeenRow, PolicyHistory, StoredEvent, SyncOptions, VersionDoc,
} from '../../core/events.ts';
import { keepEarliest } from '../../core/events.ts';
import { asTransaction } from '../transaction.ts';
import type { JsonValue } from '../../core/history.ts';
import { EVENT_DOC_FLAGS } from '../../core/doc-history.ts';
import type { PrismaClient, Prisma } from '../generated/client.ts';
import type { BulkSql } from '../database.ts';

const eventSelect = {
  id: true, kind: true, fromVersionId: true, toVersionId: true, fromVersionNumber: true, toVersionNumber: true,
  occurredAt: true, occurredAtUnreliable: true, occurredAfter: true, occurredBefore: true, detectedAt: true, updatedAt: true, source: true, broadened: true,
  narrowed: true, catalogVersion: true, diff: true, flags: true, docFlags: true,
  policy: { select: { name: true, arn: true } },
} as const;

type Row = Prisma.ChangeEventGetPayload<{ select: typeof eventSelect }>;

const toStored = (r: Row): StoredEvent => ({ ...r, kind: r.kind as StoredEvent['kind'], diff: r.diff as JsonValue, flags: r.flags ?? [], docFlags: r.docFlags ?? [] });

/** Consecutive runs of items whose summed size reaches `limit` (the last run may be smaller). */
function* sizedBatches<T>(items: readonly T[], sizeOf: (item: T) => number, limit: number): Generator<T[]> {
  let part: T[] = [];
  let size = 0;
  for (const item of items) {
    part.push(item);
    if ((size += sizeOf(item)) >= limit) {
      yield part;
      part = [];
      size = 0;
    }
  }
  if (part.length > 0) yield part;
}

/** "s3:getobject" → "s3": action groups are stored per service. */
const serviceOfKey = (actionKey: string) => actionKey.slice(0, Math.max(0, actionKey.indexOf(':')));

export class PrismaEventStore implements EventStore {
  constructor(private readonly prisma: PrismaClient, private readonly sql: BulkSql) {}

  async policyHistory(policyId: number): Promise<PolicyHistory | null> {
    return (await this.policyHistories([policyId]))[0] ?? null;
  }

  async policyHistories(policyIds: number[]): Promise<PolicyHistory[]> {
    // Raw SQL: a full recomputation reads every document (70 MB for the dataset).
    const [policies, versions] = await Promise.all([
      this.sql.query<PolicyHistory['policy']>(
        'SELECT id, name, arn, deprecated_at AS "deprecatedAt" FROM policies WHERE id = ANY($1::int[]) ORDER BY id',
        [policyIds],
      ),
      this.sql.query<VersionDoc & { policyId: number }>(
        `SELECT policy_id AS "policyId", version_id AS "versionId", version_number AS "versionNumber", document::text AS "documentJson",
           document_hash AS "documentHash", aws_created_at AS "awsCreatedAt", create_date_unreliable AS "createDateUnreliable",
           observed_at AS "observedAt", source
         FROM policy_versions WHERE policy_id = ANY($1::int[]) ORDER BY policy_id, version_number`,
        [policyIds],
      ),
    ]);
    const byPolicy = new Map<number, VersionDoc[]>(policies.map((p) => [p.id, []]));
    for (const { policyId, ...v } of versions) byPolicy.get(policyId)?.push(v);
    return policies.map((policy) => ({ policy, versions: byPolicy.get(policy.id) ?? [] }));
  }

  async policyIdsByName(names: string[]) {
    const rows = await this.prisma.policy.findMany({ where: { name: { in: names } }, select: { id: true, name: true } });
    return new Map(rows.map((r) => [r.name, r.id]));
  }

  async allPolicyIds() {
    return (await this.prisma.policy.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((r) => r.id);
  }

  async policiesMissingEvents(): Promise<number[]> {
    const rows = await this.prisma.$queryRaw<{ policy_id: number }[]>`
      SELECT v.policy_id FROM policy_versions v
      LEFT JOIN change_events e ON e.policy_id = v.policy_id AND e.to_version_number = v.version_number AND e.kind <> 'deprecated'
      WHERE e.id IS NULL
      UNION
      SELECT p.id FROM policies p
      WHERE p.deprecated_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM change_events e WHERE e.policy_id = p.id AND e.kind = 'deprecated')`;
    return rows.map((r) => Number(r.policy_id)).sort((a, b) => a - b);
  }

  async loadFirstSeen(): Promise<FirstSeenRow[]> {
    // ~20,000 rows for the dataset, read for every on-demand diff: through Prisma ~1 s, raw ~0.1 s.
    const rows = await this.sql.query<FirstSeenRow>(
      'SELECT action_key AS "actionKey", service, first_seen_at AS "firstSeenAt", policy_id AS "policyId", version_id AS "versionId" FROM action_first_seen',
    );
    return rows.map((r) => ({ ...r, firstSeenAt: new Date(r.firstSeenAt) }));
  }

  async recordFirstSeen(input: FirstSeenRow[]): Promise<void> {
    // One row per action (earliest wins) so a single upsert never touches a row twice.
    const rows = [...keepEarliest(new Map(), input).values()];
    // Set-based LEAST upsert in chunks (parameter count stays bounded).
    for (let i = 0; i < rows.length; i += 5000) {
      const chunk = rows.slice(i, i + 5000);
      await this.sql.query(
        `INSERT INTO action_first_seen (action_key, service, first_seen_at, policy_id, version_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[])
         ON CONFLICT (action_key) DO UPDATE
           SET first_seen_at = EXCLUDED.first_seen_at, policy_id = EXCLUDED.policy_id, version_id = EXCLUDED.version_id
           WHERE EXCLUDED.first_seen_at < action_first_seen.first_seen_at`,
        [chunk.map((r) => r.actionKey), chunk.map((r) => r.service), chunk.map((r) => r.firstSeenAt.toISOString()), chunk.map((r) => r.policyId), chunk.map((r) => r.versionId)],
      );
    }
  }

  async setFirstSeen(rows: FirstSeenRow[], removeKeys: string[]): Promise<void> {
    await this.sql.transaction(async (sql) => {
      if (removeKeys.length > 0) await sql.query('DELETE FROM action_first_seen WHERE action_key = ANY($1::text[])', [removeKeys]);
      for (let i = 0; i < rows.length; i += 5000) {
        const chunk = rows.slice(i, i + 5000);
        await sql.query(
          `INSERT INTO action_first_seen (action_key, service, first_seen_at, policy_id, version_id)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::text[])
           ON CONFLICT (action_key) DO UPDATE
             SET service = EXCLUDED.service, first_seen_at = EXCLUDED.first_seen_at, policy_id = EXCLUDED.policy_id, version_id = EXCLUDED.version_id`,
          [chunk.map((r) => r.actionKey), chunk.map((r) => r.service), chunk.map((r) => r.firstSeenAt.toISOString()), chunk.map((r) => r.policyId), chunk.map((r) => r.versionId)],
        );
      }
    });
  }

  async policiesAddingActions(actionKeys: string[], services: string[]): Promise<number[]> {
    if (actionKeys.length === 0 && services.length === 0) return [];
    const keyServices = [...new Set(actionKeys.map(serviceOfKey))];
    // The service index narrows the groups; the array overlap then checks the actions.
    const rows = await this.sql.query<{ policy_id: number }>(
      `SELECT DISTINCT e.policy_id FROM action_changes a JOIN change_events e ON e.id = a.event_id
       WHERE a.change = 'added' AND (a.service = ANY($1::text[]) OR (a.service = ANY($2::text[]) AND a.action_keys && $3::text[]))`,
      [services, keyServices, actionKeys],
    );
    return rows.map((r) => Number(r.policy_id));
  }

  async syncEvents(policyIds: number[], events: EventRecord[], opts: SyncOptions = {}) {
    // Raw SQL in one transaction; large payloads go in as one JSON parameter per statement.
    return this.sql.transaction(async (sql) => {
      const existing = await sql.query<{ id: string; fingerprint: string }>('SELECT id, fingerprint FROM change_events WHERE policy_id = ANY($1::int[])', [policyIds]);
      const have = new Map(existing.map((e) => [e.id, e.fingerprint]));
      const keep = new Set(events.map((e) => e.id));
      const changed = events.filter((e) => have.get(e.id) !== e.fingerprint);
      // Stale events go (action rows and doc links cascade). Changed events are updated in place,
      // so detected_at, doc flags and doc-history links survive a recomputation; their action
      // rows are replaced.
      const stale = existing.filter((e) => !keep.has(e.id)).map((e) => e.id);
      if (stale.length > 0) await sql.query('DELETE FROM change_events WHERE id = ANY($1::text[])', [stale]);
      const updated = changed.filter((e) => have.has(e.id)).map((e) => e.id);
      if (updated.length > 0) await sql.query('DELETE FROM action_changes WHERE event_id = ANY($1::text[])', [updated]);
      // Events in statements of up to ~4 MB of JSON; each packed diff goes in as the text it already is.
      const eventRows = changed.map(({ actionGroups: _g, diffJson, ...e }) => `${JSON.stringify(e).slice(0, -1)},"diff":${diffJson}}`);
      for (const part of sizedBatches(eventRows, (row) => row.length, 4_000_000)) {
        await sql.query(
          `INSERT INTO change_events (id, policy_id, kind, from_version_id, to_version_id, from_version_number, to_version_number,
             occurred_at, occurred_at_unreliable, occurred_after, occurred_before, source, broadened, narrowed, catalog_version, diff, flags, fingerprint)
           SELECT x.id, x."policyId", x.kind, x."fromVersionId", x."toVersionId", x."fromVersionNumber", x."toVersionNumber",
             x."occurredAt", x."occurredAtUnreliable", x."occurredAfter", x."occurredBefore", x.source, x.broadened, x.narrowed, x."catalogVersion",
             x.diff, x.flags, x.fingerprint
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, "policyId" int, kind text, "fromVersionId" text,
             "toVersionId" text, "fromVersionNumber" int, "toVersionNumber" int, "occurredAt" timestamptz, "occurredAtUnreliable" boolean,
             "occurredAfter" timestamptz, "occurredBefore" timestamptz,
             source text, broadened boolean, narrowed boolean, "catalogVersion" text, diff jsonb, flags text[], fingerprint text)
           ON CONFLICT (id) DO UPDATE SET
             kind = EXCLUDED.kind, from_version_id = EXCLUDED.from_version_id, to_version_id = EXCLUDED.to_version_id,
             from_version_number = EXCLUDED.from_version_number, to_version_number = EXCLUDED.to_version_number,
             occurred_at = EXCLUDED.occurred_at, occurred_at_unreliable = EXCLUDED.occurred_at_unreliable,
             occurred_after = EXCLUDED.occurred_after, occurred_before = EXCLUDED.occurred_before, source = EXCLUDED.source,
             broadened = EXCLUDED.broadened, narrowed = EXCLUDED.narrowed, catalog_version = EXCLUDED.catalog_version,
             diff = EXCLUDED.diff, flags = EXCLUDED.flags, fingerprint = EXCLUDED.fingerprint, updated_at = now()`,
          [`[${part.join(',')}]`],
        );
      }
      // Action groups in statements of up to ~50,000 action names each.
      const groupRows = changed.flatMap((e) => e.actionGroups.map((g) => ({ e: e.id, s: g.service, l: g.accessLevel, c: g.change, f: g.flags, k: g.actionKeys })));
      for (const part of sizedBatches(groupRows, (row) => row.k.length, 50_000)) {
        await sql.query(
          `INSERT INTO action_changes (event_id, service, access_level, change, flags, action_keys)
           SELECT x.e, x.s, x.l, x.c, x.f, x.k
           FROM jsonb_to_recordset($1::jsonb) AS x(e text, s text, l text, c text, f text[], k text[])`,
          [JSON.stringify(part)],
        );
      }
      // Alerts (issue 11): deliveries for the events this transaction inserts are written and
      // queued in it too, so a crash can neither lose an alert nor send one for events that
      // never committed. Updated events (recomputations, date corrections) are not passed.
      const inserted = changed.filter((e) => !have.has(e.id));
      if (opts.onInserted && inserted.length > 0) await opts.onInserted(asTransaction(sql), inserted);
      return { written: changed.length, deleted: stale.length };
    });
  }

  async listChanges(f: ChangeFilter): Promise<StoredEvent[]> {
    const and: Prisma.ChangeEventWhereInput[] = [];
    if (f.policyIds) and.push({ policyId: { in: f.policyIds } });
    if (f.policyLike) {
      const ids = await this.prisma.$queryRaw<{ id: number }[]>`SELECT id FROM policies WHERE name LIKE ${f.policyLike} ESCAPE '\\'`;
      and.push({ policyId: { in: ids.map((r) => r.id) } });
    }
    if (f.kinds) and.push({ kind: { in: [...f.kinds] } });
    if (f.reliableDatesOnly) and.push({ occurredAtUnreliable: false });
    if (f.since) and.push({ occurredAt: { gte: f.since } });
    if (f.until) and.push({ occurredAt: { lt: f.until } });
    // Diff flags live in `flags`, documentation-join flags in `doc_flags`; the filter covers both.
    if (f.flag) and.push({ OR: [{ flags: { has: f.flag } }, { docFlags: { has: f.flag } }] });
    const action: Prisma.ActionChangeWhereInput = {};
    if (f.service) action.service = f.service;
    if (f.actionKey) {
      action.actionKeys = { has: f.actionKey };
      // The service index finds the groups; a different service filter leaves nothing, as it should.
      action.service ??= serviceOfKey(f.actionKey);
    }
    if (f.accessLevel) action.accessLevel = f.accessLevel;
    if (f.changes) action.change = { in: [...f.changes] };
    if (f.flag && !(EVENT_DOC_FLAGS as readonly string[]).includes(f.flag) && (f.service || f.actionKey || f.accessLevel)) action.flags = { has: f.flag };
    if (Object.keys(action).length > 0) and.push({ actions: { some: action } });
    if (f.before) {
      and.push({ OR: [{ occurredAt: { lt: f.before.occurredAt } }, { occurredAt: f.before.occurredAt, id: { lt: f.before.id } }] });
    }
    const rows = await this.prisma.changeEvent.findMany({
      where: { AND: and },
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      take: f.limit,
      select: eventSelect,
    });
    return rows.map(toStored);
  }

  async getChange(id: string) {
    const r = await this.prisma.changeEvent.findUnique({ where: { id }, select: eventSelect });
    return r ? toStored(r) : null;
  }

  async currentVersions() {
    return this.prisma.$queryRaw<{ name: string; arn: string; versionId: string; documentHash: string }[]>`
      SELECT DISTINCT ON (p.id) p.name, p.arn, v.version_id AS "versionId", v.document_hash AS "documentHash"
      FROM policies p JOIN policy_versions v ON v.policy_id = p.id
      WHERE p.deprecated_at IS NULL
      ORDER BY p.id, v.is_default DESC, v.version_number DESC`;
  }

  async documentsByHash(hashes: string[]) {
    const out = new Map<string, JsonValue>();
    for (let i = 0; i < hashes.length; i += 500) {
      const rows = await this.prisma.policyVersion.findMany({
        where: { documentHash: { in: hashes.slice(i, i + 500) } },
        distinct: ['documentHash'],
        select: { documentHash: true, document: true },
      });
      for (const r of rows) out.set(r.documentHash, r.document as JsonValue);
    }
    return out;
  }

  async eventsForAction(actionKey: string, page: { limit: number; before?: { occurredAt: Date; id: string } | undefined }) {
    const b = page.before;
    const rows = await this.prisma.actionChange.findMany({
      where: {
        service: serviceOfKey(actionKey), actionKeys: { has: actionKey }, change: { in: ['added', 'removed', 'deny_added', 'deny_removed'] },
        ...(b ? { event: { OR: [{ occurredAt: { lt: b.occurredAt } }, { occurredAt: b.occurredAt, id: { lt: b.id } }] } } : {}),
      },
      select: { change: true, event: { select: eventSelect } },
      orderBy: [{ event: { occurredAt: 'desc' } }, { eventId: 'desc' }],
      take: page.limit,
    });
    return rows.map((r) => ({ ...toStored(r.event), change: r.change as ActionChangeKind }));
  }
}
