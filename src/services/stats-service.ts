// Aggregates for the dashboard and /metrics: the weekly chart series (gaps filled with zero
// weeks), new and deprecated policies, poll and feed health. Reads only.
import type { EventKind } from '../core/events.ts';
import type { PollRunStore } from '../core/stores.ts';
import type { StatsStore, WeeklyChangeFilter } from '../core/stats.ts';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface WeeklySeries {
  /** Monday 00:00 UTC of each week, oldest first, consecutive. */
  weeks: Date[];
  /** Per kind present, one count per week. */
  counts: Partial<Record<EventKind, number[]>>;
}

export class StatsService {
  constructor(private readonly deps: { stats: StatsStore; runs: PollRunStore }) {}

  // Figures for /metrics, straight from the database at scrape time.
  pollRunTotals() { return this.deps.stats.pollRunTotals(); }
  pollDurations(bounds: readonly number[]) { return this.deps.stats.pollDurations(bounds); }
  versionCounts() { return this.deps.stats.versionCounts(); }
  eventCounts() { return this.deps.stats.eventCounts(); }
  detectionLatency(bounds: readonly number[]) { return this.deps.stats.detectionLatency(bounds); }

  /** Changes per week and kind, for the last `maxWeeks` weeks that have any (the chart's window). */
  async weekly(f: WeeklyChangeFilter, maxWeeks: number): Promise<WeeklySeries> {
    const rows = await this.deps.stats.weeklyChanges(f);
    if (rows.length === 0) return { weeks: [], counts: {} };
    const last = Math.max(...rows.map((r) => r.week.getTime()));
    const first = Math.max(Math.min(...rows.map((r) => r.week.getTime())), last - (maxWeeks - 1) * WEEK_MS);
    const weeks: Date[] = [];
    for (let t = first; t <= last; t += WEEK_MS) weeks.push(new Date(t));
    const counts: Partial<Record<EventKind, number[]>> = {};
    for (const r of rows) {
      const i = Math.round((r.week.getTime() - first) / WEEK_MS);
      if (i < 0) continue;
      (counts[r.kind] ??= weeks.map(() => 0))[i] = r.count;
    }
    return { weeks, counts };
  }

  /** A policy's events without diffs (the version timeline). */
  policyEvents(policyName: string) {
    return this.deps.stats.policyEvents(policyName);
  }

  lifecycle(limit: number) {
    return Promise.all([this.deps.stats.newestPolicies(limit), this.deps.stats.deprecatedPolicies(limit)]).then(([newest, deprecated]) => ({ newest, deprecated }));
  }

  /** Last runs of every source, totals by status, the latest detections. */
  async health(limit: number) {
    const [runs, totals, detections] = await Promise.all([
      this.deps.runs.list({ limit }), this.deps.stats.pollRunTotals(), this.deps.stats.recentDetections(limit),
    ]);
    return { runs, totals, detections };
  }
}
