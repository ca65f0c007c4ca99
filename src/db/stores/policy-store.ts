// Prisma implementation of PolicyStore. Unique keys (policy name; policy+version number) make
// every write idempotent: re-running a poll or an import never duplicates a version.
import type {
  DateCorrection, DetectionStatsRow, NewVersion, PolicyListQuery, PolicyState, PolicyStore, PolicySummaryRow, PolicyWrite, VersionRow, VersionWithDocument,
  WriteResult,
} from '../../core/stores.ts';
import type { JsonValue } from '../../core/history.ts';
import { DATE_SOURCES, type DateSource, type Observer, dateStrength, effectiveDateSource } from '../../core/date-sources.ts';
import type { PrismaClient, Prisma } from '../generated/client.ts';
import type { BulkSql, SqlRunner } from '../database.ts';

type Tx = Prisma.TransactionClient;

const summarySelect = {
  name: true, arn: true, path: true, awsPolicyId: true, defaultVersionId: true, awsCreatedAt: true, awsUpdatedAt: true,
  isAttachable: true, firstSeenAt: true, deprecatedAt: true, source: true, description: true,
  _count: { select: { versions: true } },
} as const;

const versionSelect = {
  versionId: true, versionNumber: true, documentHash: true, awsCreatedAt: true, createDateUnreliable: true, createDateSource: true,
  observedAt: true, source: true, isDefault: true, observedDefaultAt: true,
} as const;

export class PrismaPolicyStore implements PolicyStore {
  constructor(private readonly prisma: PrismaClient, private readonly sql: BulkSql) {}

  async loadStates(): Promise<PolicyState[]> {
    const [policies, versions] = await Promise.all([
      this.prisma.policy.findMany(),
      this.prisma.policyVersion.findMany({ select: { policyId: true, versionId: true, createDateUnreliable: true, isDefault: true } }),
    ]);
    const byId = new Map<number, PolicyState>();
    for (const p of policies) {
      byId.set(p.id, {
        id: p.id, name: p.name, arn: p.arn, path: p.path, awsPolicyId: p.awsPolicyId, description: p.description,
        defaultVersionId: p.defaultVersionId, awsCreatedAt: p.awsCreatedAt, awsUpdatedAt: p.awsUpdatedAt,
        isAttachable: p.isAttachable, deprecatedAt: p.deprecatedAt,
        versionIds: new Set(), unreliableVersionIds: new Set(), storedDefaultVersionId: null, datesCheckedAt: p.datesCheckedAt,
      });
    }
    for (const v of versions) {
      const s = byId.get(v.policyId);
      if (!s) continue;
      s.versionIds.add(v.versionId);
      if (v.createDateUnreliable) s.unreliableVersionIds.add(v.versionId);
      if (v.isDefault) s.storedDefaultVersionId = v.versionId;
    }
    return [...byId.values()];
  }

  async write(w: PolicyWrite): Promise<WriteResult> {
    return this.prisma.$transaction((tx) => writeOne(tx, w), { timeout: 60_000 });
  }

  async writeMany(ws: PolicyWrite[]): Promise<WriteResult[]> {
    // Backfills go through a set-based path (a handful of statements per batch); IAM writes,
    // which carry metadata and default moves, take the per-policy path.
    const bulk = ws.every((w) => w.source !== 'iam' && !w.createDateCorrections?.length && w.defaultVersionId === undefined && w.deprecatedAt === undefined);
    if (bulk) return this.sql.transaction((sql) => writeBackfill(sql, ws));
    return this.prisma.$transaction(async (tx) => {
      const out: WriteResult[] = [];
      for (const w of ws) out.push(await writeOne(tx, w));
      return out;
    }, { timeout: 300_000, maxWait: 60_000 });
  }

  async markDeprecated(policyIds: number[], at: Date): Promise<number> {
    if (policyIds.length === 0) return 0;
    return (await this.prisma.policy.updateMany({ where: { id: { in: policyIds }, deprecatedAt: null }, data: { deprecatedAt: at } })).count;
  }

  async list(q: PolicyListQuery): Promise<{ items: PolicySummaryRow[]; total: number }> {
    const where: Prisma.PolicyWhereInput = {};
    // Prisma passes `contains` to LIKE unescaped: _ and % in a search are literal characters here.
    if (q.search) where.name = { contains: q.search.replace(/[\\%_]/g, (c) => `\\${c}`), mode: 'insensitive' };
    if (q.deprecated !== undefined) where.deprecatedAt = q.deprecated ? { not: null } : null;
    const page: Prisma.PolicyWhereInput = q.after ? { AND: [where, { name: { gt: q.after } }] } : where;
    const [rows, total] = await Promise.all([
      this.prisma.policy.findMany({ where: page, orderBy: { name: 'asc' }, take: q.limit, select: summarySelect }),
      this.prisma.policy.count({ where }),
    ]);
    return { items: rows.map(toSummary), total };
  }

  async get(name: string) {
    const p = await this.prisma.policy.findUnique({
      where: { name },
      select: { ...summarySelect, versions: { select: versionSelect, orderBy: { versionNumber: 'asc' } } },
    });
    if (!p) return null;
    return { ...toSummary(p), description: p.description, versions: p.versions as VersionRow[] };
  }

  async getVersion(name: string, versionId: string): Promise<VersionWithDocument | null> {
    const v = await this.prisma.policyVersion.findFirst({
      where: { versionId, policy: { name } },
      select: { ...versionSelect, document: true },
    });
    return v ? { ...v, document: v.document as JsonValue } : null;
  }

  async count() {
    const [policies, versions] = await Promise.all([this.prisma.policy.count(), this.prisma.policyVersion.count()]);
    return { policies, versions };
  }

  async detectionStats(): Promise<DetectionStatsRow[]> {
    // A version created before the observer's first sighting was there when it started watching:
    // not a detection.
    const rows = await this.sql.query<{ observer: Observer; versions: number; median: number | null; p90: number | null; max: number | null; since: Date | null }>(
      `WITH since AS (SELECT observer, min(observed_at) AS t FROM version_observations GROUP BY observer),
            lat AS (SELECT o.observer, extract(epoch FROM o.observed_at - o.aws_created_at) * 1000 AS ms
                    FROM version_observations o JOIN since s ON s.observer = o.observer WHERE o.aws_created_at >= s.t)
       SELECT s.observer, count(l.ms)::int AS versions,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY l.ms) AS median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY l.ms) AS p90, max(l.ms) AS max, s.t AS since
       FROM since s LEFT JOIN lat l ON l.observer = s.observer GROUP BY s.observer, s.t`,
    );
    const ms = (x: number | string | null) => (x === null ? null : Math.round(Number(x)));
    return rows.map((r) => ({ observer: r.observer, versions: r.versions, medianMs: ms(r.median), p90Ms: ms(r.p90), maxMs: ms(r.max), watchingSince: r.since }));
  }
}

/** The source recorded for a new version's date. */
const dateSourceOf = (v: NewVersion): DateSource => effectiveDateSource(v.createDateSource, v.awsCreatedAt, v.createDateUnreliable);

/** Applies the corrections that come from a stronger source than the stored date's; counts the dates that moved or lost their flag. */
async function correctDates(tx: Tx, policyId: number, corrections: readonly DateCorrection[]): Promise<number> {
  if (corrections.length === 0) return 0;
  const held = new Map((await tx.policyVersion.findMany({
    where: { policyId, versionId: { in: corrections.map((c) => c.versionId) } },
    select: { versionId: true, awsCreatedAt: true, createDateUnreliable: true, createDateSource: true },
  })).map((v) => [v.versionId, v]));
  let moved = 0;
  for (const c of corrections) {
    const v = held.get(c.versionId);
    if (!v || dateStrength(c.source) <= dateStrength(v.createDateSource as DateSource)) continue;
    await tx.policyVersion.update({
      where: { policyId_versionId: { policyId, versionId: c.versionId } },
      data: { awsCreatedAt: c.awsCreatedAt, createDateUnreliable: false, createDateSource: c.source },
    });
    if (v.createDateUnreliable || v.awsCreatedAt?.getTime() !== c.awsCreatedAt.getTime()) moved++;
  }
  return moved;
}

function toSummary(p: {
  name: string; arn: string; path: string; awsPolicyId: string | null; defaultVersionId: string | null;
  awsCreatedAt: Date | null; awsUpdatedAt: Date | null; isAttachable: boolean; firstSeenAt: Date; deprecatedAt: Date | null;
  source: string; _count: { versions: number };
}): PolicySummaryRow {
  return {
    name: p.name, arn: p.arn, path: p.path, awsPolicyId: p.awsPolicyId, defaultVersionId: p.defaultVersionId,
    versionCount: p._count.versions, awsCreatedAt: p.awsCreatedAt, awsUpdatedAt: p.awsUpdatedAt,
    isAttachable: p.isAttachable, firstSeenAt: p.firstSeenAt, deprecatedAt: p.deprecatedAt, source: p.source,
  };
}

async function writeOne(tx: Tx, w: PolicyWrite): Promise<WriteResult> {
  const fromIam = w.source === 'iam';
  const m = w.meta;
  const complete = w.complete ?? true;
  let policy = await tx.policy.findUnique({ where: { name: m.name } });
  let created = false;
  if (!policy) {
    policy = await tx.policy.create({
      data: {
        name: m.name, arn: m.arn, path: m.path, source: w.source,
        awsPolicyId: m.awsPolicyId ?? null, description: m.description ?? null,
        awsCreatedAt: m.awsCreatedAt ?? null,
        awsUpdatedAt: complete ? (m.awsUpdatedAt ?? null) : null,
        defaultVersionId: complete ? (m.defaultVersionId ?? null) : null,
        isAttachable: m.isAttachable ?? true,
        deprecatedAt: w.deprecatedAt ?? null,
      },
    });
    created = true;
  } else {
    // IAM is authoritative for metadata; a backfill only fills what we do not know yet.
    const data: Prisma.PolicyUpdateInput = {};
    const set = <K extends keyof Prisma.PolicyUpdateInput>(k: K, v: Prisma.PolicyUpdateInput[K], current: unknown) => {
      const same = v instanceof Date && current instanceof Date ? v.getTime() === current.getTime() : v === current;
      if (!same) data[k] = v;
    };
    if (fromIam) {
      set('arn', m.arn, policy.arn);
      set('path', m.path, policy.path);
      if (m.awsPolicyId) set('awsPolicyId', m.awsPolicyId, policy.awsPolicyId);
      if (m.description !== undefined) set('description', m.description, policy.description);
      if (m.awsCreatedAt) set('awsCreatedAt', m.awsCreatedAt, policy.awsCreatedAt);
      if (m.isAttachable !== undefined) set('isAttachable', m.isAttachable, policy.isAttachable);
      if (complete) {
        if (m.defaultVersionId) set('defaultVersionId', m.defaultVersionId, policy.defaultVersionId);
        if (m.awsUpdatedAt) set('awsUpdatedAt', m.awsUpdatedAt, policy.awsUpdatedAt);
      }
    } else {
      if (!policy.awsCreatedAt && m.awsCreatedAt) data.awsCreatedAt = m.awsCreatedAt;
      if (!policy.awsUpdatedAt && m.awsUpdatedAt) data.awsUpdatedAt = m.awsUpdatedAt;
      if (!policy.defaultVersionId && m.defaultVersionId) data.defaultVersionId = m.defaultVersionId;
    }
    if (w.deprecatedAt !== undefined) {
      const cur = policy.deprecatedAt;
      if (w.deprecatedAt === null ? cur !== null : cur === null) data.deprecatedAt = w.deprecatedAt;
    }
    if (Object.keys(data).length > 0) policy = await tx.policy.update({ where: { id: policy.id }, data });
  }

  let versionsAdded: string[] = [];
  if (w.versions.length > 0) {
    const rows = await tx.policyVersion.createManyAndReturn({
      data: w.versions.map((v) => ({
        policyId: policy.id, versionId: v.versionId, versionNumber: v.versionNumber,
        document: v.document as Prisma.InputJsonValue, documentHash: v.documentHash,
        awsCreatedAt: v.awsCreatedAt ?? null, createDateUnreliable: v.createDateUnreliable, createDateSource: dateSourceOf(v), source: w.source,
      })),
      skipDuplicates: true,
      select: { versionId: true, observedAt: true },
    });
    versionsAdded = rows.map((r) => r.versionId);
    const byId = new Map(w.versions.map((v) => [v.versionId, v]));
    const observations = rows.flatMap((r) => {
      const v = byId.get(r.versionId);
      if (!v?.awsCreatedAt) return [];
      const out: { observer: Observer; at: Date }[] = [];
      if (w.observe) out.push({ observer: 'policywatch', at: r.observedAt });
      if (v.observedBy) out.push(v.observedBy);
      return out.map((o) => ({ policyId: policy.id, versionId: r.versionId, observer: o.observer, observedAt: o.at, awsCreatedAt: v.awsCreatedAt as Date }));
    });
    if (observations.length > 0) await tx.versionObservation.createMany({ data: observations, skipDuplicates: true });
  }

  if (fromIam && w.createDateCorrections !== undefined) {
    await tx.policy.update({ where: { id: policy.id }, data: { datesCheckedAt: new Date() } });
  }
  const datesCorrected = await correctDates(tx, policy.id, w.createDateCorrections ?? []);

  // A backfill names the default only where IAM has not told us one yet.
  if (!fromIam && m.defaultVersionId && (await tx.policyVersion.count({ where: { policyId: policy.id, isDefault: true } })) === 0) {
    await tx.policyVersion.updateMany({
      where: { policyId: policy.id, versionId: m.defaultVersionId },
      data: { isDefault: true, observedDefaultAt: new Date() },
    });
  }

  if (w.defaultVersionId) {
    await tx.policyVersion.updateMany({
      where: { policyId: policy.id, isDefault: true, versionId: { not: w.defaultVersionId } },
      data: { isDefault: false },
    });
    await tx.policyVersion.updateMany({
      where: { policyId: policy.id, isDefault: false, versionId: w.defaultVersionId },
      data: { isDefault: true, observedDefaultAt: new Date() },
    });
  }
  return { policyId: policy.id, created, versionsAdded, datesCorrected };
}

/**
 * Set-based write of backfilled policies in raw SQL, a few statements per batch with each batch's
 * rows as one JSON parameter: existing policies only get the metadata they lack, versions are
 * inserted unless held (the unique keys make a re-run add nothing).
 */
async function writeBackfill(sql: SqlRunner, ws: PolicyWrite[]): Promise<WriteResult[]> {
  const iso = (d: Date | undefined) => d?.toISOString() ?? null;
  const names = ws.map((w) => w.meta.name);
  const meta = ws.map((w) => ({
    n: w.meta.name, a: w.meta.arn, p: w.meta.path, s: w.source, c: iso(w.meta.awsCreatedAt), u: iso(w.meta.awsUpdatedAt),
    d: w.meta.defaultVersionId ?? null, t: w.meta.isAttachable ?? true,
  }));
  const metaJson = JSON.stringify(meta);
  // now() is the transaction's start: the observed_at the versions below get by default, rounded
  // to the column's milliseconds as they will be stored (first-seen times compare exactly).
  const [{ now: observedAt }] = (await sql.query<{ now: Date }>('SELECT now()::timestamptz(3) AS now')) as [{ now: Date }];
  const created = new Set(
    (await sql.query<{ name: string }>(
      `INSERT INTO policies (name, arn, path, source, aws_created_at, aws_updated_at, default_version_id, is_attachable)
       SELECT x.n, x.a, x.p, x.s, x.c, x.u, x.d, x.t
       FROM jsonb_to_recordset($1::jsonb) AS x(n text, a text, p text, s text, c timestamptz, u timestamptz, d text, t boolean)
       ON CONFLICT DO NOTHING
       RETURNING name`,
      [metaJson],
    )).map((r) => r.name),
  );
  if (created.size < ws.length) {
    await sql.query(
      `UPDATE policies p SET aws_created_at = COALESCE(p.aws_created_at, x.c), aws_updated_at = COALESCE(p.aws_updated_at, x.u),
         default_version_id = COALESCE(p.default_version_id, x.d)
       FROM jsonb_to_recordset($1::jsonb) AS x(n text, c timestamptz, u timestamptz, d text)
       WHERE p.name = x.n AND NOT (p.name = ANY($2::text[]))
         AND ((p.aws_created_at IS NULL AND x.c IS NOT NULL) OR (p.aws_updated_at IS NULL AND x.u IS NOT NULL)
              OR (p.default_version_id IS NULL AND x.d IS NOT NULL))`,
      [metaJson, [...created]],
    );
  }
  const byName = new Map(
    (await sql.query<{ id: number; name: string }>('SELECT id, name FROM policies WHERE name = ANY($1::text[])', [names])).map((r) => [r.name, r.id]),
  );
  const idOf = (w: PolicyWrite) => {
    const id = byName.get(w.meta.name);
    // Only a different policy holding this ARN (ON CONFLICT above) leaves a name without a row.
    if (id === undefined) throw new Error(`policy ${w.meta.name} could not be stored: its ARN ${w.meta.arn} belongs to another policy`);
    return id;
  };
  const versions = ws.flatMap((w) => {
    const policyId = idOf(w);
    return w.versions.map((v) => ({
      p: policyId, v: v.versionId, n: v.versionNumber, d: v.document, h: v.documentHash, t: iso(v.awsCreatedAt),
      u: v.createDateUnreliable, ds: dateSourceOf(v), s: w.source,
    }));
  });
  const added = await sql.query<{ policy_id: number; version_id: string }>(
    `INSERT INTO policy_versions (policy_id, version_id, version_number, document, document_hash, aws_created_at, create_date_unreliable, create_date_source, source)
     SELECT x.p, x.v, x.n, x.d, x.h, x.t, x.u, x.ds, x.s
     FROM jsonb_to_recordset($1::jsonb) AS x(p int, v text, n int, d jsonb, h text, t timestamptz, u boolean, ds text, s text)
     ON CONFLICT DO NOTHING
     RETURNING policy_id, version_id`,
    [JSON.stringify(versions)],
  );
  // Versions held already: a date from a stronger source replaces the stored one (strength =
  // position in DATE_SOURCES). Counted when the date moved or lost its unreliable flag.
  const dated = ws.flatMap((w) => w.versions.filter((v) => v.awsCreatedAt && !v.createDateUnreliable).map((v) => {
    const ds = dateSourceOf(v);
    return { p: idOf(w), v: v.versionId, t: iso(v.awsCreatedAt), ds, r: dateStrength(ds) };
  }));
  const corrected = dated.length === 0 ? [] : await sql.query<{ policy_id: number; moved: boolean }>(
    `UPDATE policy_versions v SET aws_created_at = x.t, create_date_unreliable = false, create_date_source = x.ds
     FROM (SELECT x.*, o.aws_created_at AS old_t, o.create_date_unreliable AS old_u
           FROM jsonb_to_recordset($1::jsonb) AS x(p int, v text, t timestamptz, ds text, r int)
           JOIN policy_versions o ON o.policy_id = x.p AND o.version_id = x.v
           WHERE coalesce(array_position($2::text[], o.create_date_source), 0) - 1 < x.r) x
     WHERE v.policy_id = x.p AND v.version_id = x.v
     RETURNING v.policy_id, (x.old_u OR x.old_t IS DISTINCT FROM x.t) AS moved`,
    [JSON.stringify(dated), DATE_SOURCES],
  );
  const movedBy = new Map<number, number>();
  for (const c of corrected) if (c.moved) movedBy.set(c.policy_id, (movedBy.get(c.policy_id) ?? 0) + 1);
  // Another observer's first sighting (IAMTrail's commit time): the earliest is kept.
  const observations = ws.flatMap((w) => w.versions.filter((v) => v.observedBy && v.awsCreatedAt).map((v) => ({
    p: idOf(w), v: v.versionId, o: v.observedBy?.observer, a: iso(v.observedBy?.at), t: iso(v.awsCreatedAt),
  })));
  if (observations.length > 0) {
    await sql.query(
      `INSERT INTO version_observations (policy_id, version_id, observer, observed_at, aws_created_at)
       SELECT x.p, x.v, x.o, x.a, x.t FROM jsonb_to_recordset($1::jsonb) AS x(p int, v text, o text, a timestamptz, t timestamptz)
       ON CONFLICT (policy_id, version_id, observer) DO UPDATE SET observed_at = EXCLUDED.observed_at, aws_created_at = EXCLUDED.aws_created_at
         WHERE EXCLUDED.observed_at < version_observations.observed_at`,
      [JSON.stringify(observations)],
    );
  }
  const ids = ws.map(idOf);
  // New backfilled versions may carry dates IAM can correct: ask it again at the next poll.
  const gotVersions = [...new Set(added.map((a) => a.policy_id))];
  if (gotVersions.length > 0) {
    await sql.query('UPDATE policies SET dates_checked_at = NULL WHERE id = ANY($1::int[]) AND dates_checked_at IS NOT NULL', [gotVersions]);
  }
  // A backfill names the default only where nothing is flagged default yet (IAM's word wins).
  await sql.query(
    `UPDATE policy_versions v SET is_default = true, observed_default_at = now()
     FROM policies p
     WHERE v.policy_id = p.id AND p.id = ANY($1::int[]) AND v.version_id = p.default_version_id
       AND NOT EXISTS (SELECT 1 FROM policy_versions d WHERE d.policy_id = p.id AND d.is_default)`,
    [ids],
  );
  const addedBy = new Map<number, string[]>();
  for (const a of added) {
    const list = addedBy.get(a.policy_id);
    if (list) list.push(a.version_id);
    else addedBy.set(a.policy_id, [a.version_id]);
  }
  return ws.map((w) => {
    const id = idOf(w);
    return { policyId: id, created: created.has(w.meta.name), versionsAdded: addedBy.get(id) ?? [], datesCorrected: movedBy.get(id) ?? 0, observedAt };
  });
}
