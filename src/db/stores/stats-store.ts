// StatsStore in raw SQL: every method is one or two aggregate queries, run at the moment the
// dashboard or a Prometheus scrape asks (see core/stats.ts).
import type { EventKind } from '../../core/events.ts';
import { EVENT_DOC_FLAGS } from '../../core/doc-history.ts';
import type { DetectedVersion, EventSummary, HistogramData, LifecyclePolicy, PollRunTotals, StatsStore, WeeklyChangeFilter, WeeklyCount } from '../../core/stats.ts';
import type { SqlRunner } from '../database.ts';

// Versions an IAM poll stored after the first IAM poll finished (that one backfills history).
const DETECTED = `
  FROM policy_versions v JOIN policies p ON p.id = v.policy_id
  WHERE v.source = 'iam' AND v.aws_created_at IS NOT NULL AND NOT v.create_date_unreliable
    AND v.observed_at > (SELECT min(finished_at) FROM poll_runs WHERE source = 'iam' AND finished_at IS NOT NULL)`;

const LIFECYCLE_COLUMNS = `p.name, p.arn, p.aws_created_at AS "awsCreatedAt", p.first_seen_at AS "firstSeenAt",
  p.deprecated_at AS "deprecatedAt", p.source, (SELECT count(*)::int FROM policy_versions v WHERE v.policy_id = p.id) AS "versionCount"`;

/** Cumulative bucket counts of `values` (a SQL expression over `from`) for each bound, plus sum and count, grouped by `group`. */
async function histogram(sql: SqlRunner, o: { value: string; from: string; group: string; params: unknown[]; bounds: readonly number[] }) {
  const n = o.params.length + 1;
  const rows = await sql.query<{ g: string; le: number; c: number }>(
    `WITH d AS (SELECT ${o.group} AS g, ${o.value} AS v ${o.from})
     SELECT d.g, b.le, count(*) FILTER (WHERE d.v <= b.le)::int AS c FROM d CROSS JOIN unnest($${n}::float8[]) AS b(le) GROUP BY d.g, b.le`,
    [...o.params, [...o.bounds]],
  );
  const totals = await sql.query<{ g: string; sum: number; count: number }>(
    `WITH d AS (SELECT ${o.group} AS g, ${o.value} AS v ${o.from}) SELECT g, coalesce(sum(v), 0)::float8 AS sum, count(*)::int AS count FROM d GROUP BY g`,
    o.params,
  );
  const out = new Map<string, HistogramData>();
  for (const t of totals) out.set(t.g, { buckets: o.bounds.map(() => 0), sum: Number(t.sum), count: t.count });
  for (const r of rows) {
    const h = out.get(r.g);
    const i = o.bounds.indexOf(Number(r.le));
    if (h && i >= 0) h.buckets[i] = r.c;
  }
  return out;
}

export class SqlStatsStore implements StatsStore {
  constructor(private readonly sql: SqlRunner) {}

  async pollRunTotals() {
    const rows = await this.sql.query<PollRunTotals>(`
      SELECT source, status, count(*)::int AS runs, coalesce(sum(api_calls), 0)::int AS "apiCalls",
        coalesce(sum(jsonb_array_length(errors)), 0)::int AS errors, max(finished_at) AS "lastFinishedAt"
      FROM poll_runs GROUP BY source, status ORDER BY source, status`);
    return rows.map((r) => ({ ...r, lastFinishedAt: r.lastFinishedAt === null ? null : new Date(r.lastFinishedAt) }));
  }

  pollDurations(bounds: readonly number[]) {
    return histogram(this.sql, {
      group: 'source', value: 'extract(epoch FROM finished_at - started_at)::float8',
      from: `FROM poll_runs WHERE finished_at IS NOT NULL AND status <> 'abandoned'`, params: [], bounds,
    });
  }

  versionCounts() {
    return this.sql.query<{ origin: string; count: number }>(`
      SELECT CASE WHEN source = 'iam' THEN 'iam' ELSE 'import' END AS origin, count(*)::int AS count
      FROM policy_versions GROUP BY 1 ORDER BY 1`);
  }

  eventCounts() {
    return this.sql.query<{ kind: string; count: number }>('SELECT kind, count(*)::int AS count FROM change_events GROUP BY kind ORDER BY kind');
  }

  async detectionLatency(bounds: readonly number[]) {
    const h = await histogram(this.sql, {
      group: `'all'`, value: 'extract(epoch FROM v.observed_at - v.aws_created_at)::float8', from: DETECTED, params: [], bounds,
    });
    return h.get('all') ?? { buckets: bounds.map(() => 0), sum: 0, count: 0 };
  }

  async recentDetections(limit: number) {
    const rows = await this.sql.query<DetectedVersion>(`
      SELECT p.name AS policy, v.version_id AS "versionId", v.aws_created_at AS "awsCreatedAt", v.observed_at AS "observedAt",
        extract(epoch FROM v.observed_at - v.aws_created_at)::float8 AS "latencySeconds"
      ${DETECTED} ORDER BY v.observed_at DESC, v.id DESC LIMIT $1`, [limit]);
    return rows.map((r) => ({ ...r, awsCreatedAt: new Date(r.awsCreatedAt), observedAt: new Date(r.observedAt), latencySeconds: Number(r.latencySeconds) }));
  }

  async weeklyChanges(f: WeeklyChangeFilter): Promise<WeeklyCount[]> {
    // The same filters as the change feed (db/stores/event-store.ts listChanges), in SQL.
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (f.policyLike) where.push(`e.policy_id IN (SELECT id FROM policies WHERE name LIKE ${p(f.policyLike)} ESCAPE '\\')`);
    if (f.kinds) where.push(`e.kind = ANY(${p([...f.kinds])}::text[])`);
    if (f.since) where.push(`e.occurred_at >= ${p(f.since)}`);
    if (f.until) where.push(`e.occurred_at < ${p(f.until)}`);
    if (f.flag) where.push(`(${p(f.flag)} = ANY(e.flags) OR $${params.length} = ANY(e.doc_flags))`);
    const action: string[] = [];
    const service = f.service ?? (f.actionKey ? f.actionKey.slice(0, Math.max(0, f.actionKey.indexOf(':'))) : undefined);
    if (service) action.push(`a.service = ${p(service)}`);
    if (f.actionKey) action.push(`${p(f.actionKey)} = ANY(a.action_keys)`);
    if (f.accessLevel) action.push(`a.access_level = ${p(f.accessLevel)}`);
    if (f.flag && action.length > 0 && !(EVENT_DOC_FLAGS as readonly string[]).includes(f.flag)) {
      action.push(`${p(f.flag)} = ANY(a.flags)`);
    }
    if (action.length > 0) where.push(`EXISTS (SELECT 1 FROM action_changes a WHERE a.event_id = e.id AND ${action.join(' AND ')})`);
    const rows = await this.sql.query<{ week: string; kind: EventKind; count: number }>(`
      SELECT to_char(date_trunc('week', e.occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week, e.kind, count(*)::int AS count
      FROM change_events e ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY 1, 2 ORDER BY 1, 2`, params);
    return rows.map((r) => ({ week: new Date(`${r.week}T00:00:00Z`), kind: r.kind, count: r.count }));
  }

  policyEvents(policyName: string) {
    return this.sql.query<EventSummary>(`
      SELECT e.id, e.kind, e.to_version_id AS "toVersionId", e.to_version_number AS "toVersionNumber", e.broadened, e.narrowed
      FROM change_events e JOIN policies p ON p.id = e.policy_id
      WHERE p.name = $1 ORDER BY e.to_version_number DESC NULLS FIRST, e.occurred_at DESC`, [policyName]);
  }

  newestPolicies(limit: number) {
    return this.lifecycle(`SELECT ${LIFECYCLE_COLUMNS} FROM policies p ORDER BY coalesce(p.aws_created_at, p.first_seen_at) DESC, p.name LIMIT $1`, limit);
  }

  deprecatedPolicies(limit: number) {
    return this.lifecycle(`SELECT ${LIFECYCLE_COLUMNS} FROM policies p WHERE p.deprecated_at IS NOT NULL ORDER BY p.deprecated_at DESC, p.name LIMIT $1`, limit);
  }

  private async lifecycle(query: string, limit: number): Promise<LifecyclePolicy[]> {
    const rows = await this.sql.query<LifecyclePolicy>(query, [limit]);
    const d = (x: Date | string | null) => (x === null ? null : new Date(x));
    return rows.map((r) => ({ ...r, awsCreatedAt: d(r.awsCreatedAt), firstSeenAt: new Date(r.firstSeenAt), deprecatedAt: d(r.deprecatedAt) }));
  }
}
