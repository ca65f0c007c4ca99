// The Prometheus registry of one process. Two kinds of series:
// - from the database at scrape time (collect callbacks): poll runs, durations, IAM calls, errors,
//   stored versions and events, detection latency. They describe the shared database, so an API
//   started with --no-worker reports the worker's polls correctly and every replica agrees.
// - in-process: HTTP request durations and prom-client's default process metrics, which describe
//   the process that answers the scrape.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { HistogramData } from '../core/stats.ts';
import type { Logger } from '../core/logger.ts';
import type { StatsService } from '../services/stats-service.ts';

/** Poll run durations, seconds: a quiet poll takes under one, a cold backfill minutes. */
export const POLL_DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Detection latency, seconds: from one poll interval (minutes) to days for a missed poll. */
export const DETECTION_LATENCY_BUCKETS = [60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800];
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

/**
 * A histogram whose buckets the database computed. prom-client's Histogram only accumulates
 * observe() calls; a registry accepts any object with name/help/type and get(), which this is.
 */
function dbHistogram(register: Registry, o: { name: string; help: string; labelNames: string[]; bounds: readonly number[]; read: () => Promise<[Labels, HistogramData][]> }) {
  const metric = {
    name: o.name, help: o.help, type: 'histogram', aggregator: 'sum',
    async get() {
      const values = [];
      for (const [labels, h] of await o.read()) {
        o.bounds.forEach((le, i) => values.push({ metricName: `${o.name}_bucket`, labels: { ...labels, le }, value: h.buckets[i] ?? 0 }));
        values.push({ metricName: `${o.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
        values.push({ metricName: `${o.name}_sum`, labels, value: h.sum });
        values.push({ metricName: `${o.name}_count`, labels, value: h.count });
      }
      return { name: o.name, help: o.help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  register.registerMetric(metric as unknown as Metric);
}

export interface AppMetrics {
  register: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** The exposition text, every database series read afresh. */
  scrape(): Promise<string>;
}

export function createMetrics(o: { stats: StatsService; log: Logger }): AppMetrics {
  const register = new Registry();
  collectDefaultMetrics({ register });

  // A failing database query must not cost the whole scrape (process metrics stay readable):
  // the series is left out and this counter says so.
  const collectErrors = new Counter({ name: 'policywatch_metrics_collect_errors_total', help: 'Database reads for /metrics that failed', labelNames: ['series'], registers: [register] });
  const guarded = async <T>(series: string, read: () => Promise<T>, empty: T): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      collectErrors.inc({ series });
      o.log.warn({ err, series }, 'reading a metric from the database failed');
      return empty;
    }
  };
  // One scrape reads the poll-run totals once, however many series come from them; scrape()
  // forgets the previous scrape's read.
  let totalsRead: ReturnType<StatsService['pollRunTotals']> | undefined;
  const totals = () => (totalsRead ??= guarded('poll_runs', () => o.stats.pollRunTotals(), []));

  new Counter({
    name: 'policywatch_poll_runs_total', help: 'Finished poll runs by source (iam, rss, seed) and final status', labelNames: ['source', 'status'], registers: [register],
    async collect() {
      const rows = await totals();
      this.reset();
      for (const r of rows) if (r.status !== 'running') this.inc({ source: r.source, status: r.status }, r.runs);
    },
  });
  new Gauge({
    name: 'policywatch_poll_runs_in_progress', help: 'Poll runs started and not finished, by source', labelNames: ['source'], registers: [register],
    async collect() {
      const rows = await totals();
      this.reset();
      for (const r of rows) if (r.status === 'running') this.set({ source: r.source }, r.runs);
    },
  });
  new Gauge({
    name: 'policywatch_poll_last_success_timestamp_seconds', help: 'When the last successful poll run of a source finished (Unix time)', labelNames: ['source'], registers: [register],
    async collect() {
      const rows = await totals();
      this.reset();
      for (const r of rows) if (r.status === 'succeeded' && r.lastFinishedAt) this.set({ source: r.source }, r.lastFinishedAt.getTime() / 1000);
    },
  });
  // Sums over the runs of one source, as unlabelled counters.
  const sumOfSource = (name: string, help: string, source: string, field: 'apiCalls' | 'errors') => new Counter({
    name, help, registers: [register],
    async collect() {
      const rows = await totals();
      this.reset();
      this.inc(rows.filter((r) => r.source === source).reduce((n, r) => n + r[field], 0));
    },
  });
  sumOfSource('policywatch_iam_api_calls_total', 'IAM API calls made by poll runs', 'iam', 'apiCalls');
  sumOfSource('policywatch_feed_errors_total', 'Documentation-feed errors recorded by RSS poll runs (one per feed that failed in a run)', 'rss', 'errors');
  new Counter({
    name: 'policywatch_poll_errors_total', help: 'Errors recorded by poll runs (a policy, version or feed that failed), by source', labelNames: ['source'], registers: [register],
    async collect() {
      const rows = await totals();
      this.reset();
      const by = new Map<string, number>();
      for (const r of rows) by.set(r.source, (by.get(r.source) ?? 0) + r.errors);
      for (const [source, n] of by) this.inc({ source }, n);
    },
  });
  // Row counts by one label, as gauges (rows can be deleted: a policy removed, events recomputed).
  const countGauge = (name: string, help: string, label: string, read: () => Promise<{ label: string; count: number }[]>) => new Gauge({
    name, help, labelNames: [label], registers: [register],
    async collect() {
      const rows = await guarded(name, read, []);
      this.reset();
      for (const r of rows) this.set({ [label]: r.label }, r.count);
    },
  });
  countGauge('policywatch_policy_versions_stored', 'Policy versions stored, by origin (iam poll or import)', 'origin',
    async () => (await o.stats.versionCounts()).map((r) => ({ label: r.origin, count: r.count })));
  countGauge('policywatch_change_events_stored', 'Change events stored, by kind', 'kind',
    async () => (await o.stats.eventCounts()).map((r) => ({ label: r.kind, count: r.count })));
  dbHistogram(register, {
    name: 'policywatch_poll_run_duration_seconds', help: 'Duration of finished poll runs, by source', labelNames: ['source'], bounds: POLL_DURATION_BUCKETS,
    read: async () => [...(await guarded('poll_durations', () => o.stats.pollDurations(POLL_DURATION_BUCKETS), new Map<string, HistogramData>()))].map(([source, h]) => [{ source }, h]),
  });
  dbHistogram(register, {
    name: 'policywatch_detection_latency_seconds', help: 'Observed time minus AWS create date of versions found by IAM polls (after the first, which backfills)', labelNames: [],
    bounds: DETECTION_LATENCY_BUCKETS,
    read: async () => [[{}, await guarded('detection_latency', () => o.stats.detectionLatency(DETECTION_LATENCY_BUCKETS), { buckets: [], sum: 0, count: 0 })]],
  });
  const httpDuration = new Histogram({
    name: 'policywatch_http_request_duration_seconds', help: 'HTTP request durations in this process, by route pattern', labelNames: ['method', 'route', 'status_code'],
    buckets: HTTP_DURATION_BUCKETS, registers: [register],
  });
  return {
    register, httpDuration,
    scrape: () => {
      totalsRead = undefined;
      return register.metrics();
    },
  };
}
