// /metrics: Prometheus text format that a real parser reads, default process metrics, and the
// figures a poll should move (runs, durations, IAM calls, versions and events stored, detection
// latency, feed errors), read from the database at scrape time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { build } from '../support/app.ts';
import { amazonQFullAccessHistory } from '../support/dashboard.ts';
import { FakeIam } from '../../src/sources/fake-iam/fake-iam.ts';
import { testSource } from '../support/fake-iam-fixtures.ts';

type App = Awaited<ReturnType<typeof build>>;

async function scrape(app: App) {
  const res = await app.inject('/metrics');
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const families = new Map(parsePrometheusTextFormat(res.body).map((f) => [f.name, f]));
  const family = (name: string): ParsedFamily => {
    const f = families.get(name);
    assert.ok(f, `${name} is exposed`);
    return f;
  };
  /** The value of a counter or gauge sample with exactly these labels (0 when absent). */
  const value = (name: string, labels: Record<string, string> = {}) => {
    const m = family(name).metrics.find((s) => JSON.stringify(s.labels ?? {}) === JSON.stringify(labels));
    return m ? Number(m.value) : 0;
  };
  // parse-prometheus-text-format reads a histogram's buckets, sum and count only without labels
  // other than `le` (it folds label sets together and drops a labelled _count), so one label set
  // is cut out of the text, its labels removed, and parsed on its own.
  const histogram = (name: string, labels: Record<string, string> = {}) => {
    family(name);
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const unlabel = (l: string) => want.reduce((x, w) => x.replace(`${w},`, '').replace(w, ''), l).replace('{}', '');
    const lines = res.body.split('\n').filter((l) => !l.startsWith(name) || want.every((w) => l.includes(w))).map(unlabel);
    const m = parsePrometheusTextFormat(lines.join('\n')).find((f) => f.name === name)?.metrics[0];
    return { count: Number(m?.count ?? 0), sum: Number(m?.sum ?? 0), buckets: m?.buckets ?? {} };
  };
  return { families, family, value, histogram };
}

test('/metrics parses as Prometheus text and a poll moves the counters it should', async (t) => {
  // AmazonQFullAccess's real history without its newest version; that one is published later.
  const q = amazonQFullAccessHistory();
  const newest = q.versions.at(-1);
  assert.ok(newest);
  const fake = new FakeIam([{ ...q, versions: q.versions.slice(0, -1), defaultVersionId: q.versions.at(-2)?.versionId ?? 'v1' }]);
  const { url } = await fake.start();
  t.after(() => fake.stop());
  const app = await build(t, { iam: testSource(url), config: { rssFeeds: [] } });

  const before = await scrape(app);
  assert.equal(before.family('process_cpu_user_seconds_total').type, 'COUNTER', 'default process metrics are included');
  assert.equal(before.family('nodejs_heap_size_used_bytes').type, 'GAUGE');
  assert.equal(before.family('policywatch_poll_runs_total').type, 'COUNTER');
  assert.equal(before.family('policywatch_detection_latency_seconds').type, 'HISTOGRAM');
  assert.equal(before.value('policywatch_poll_runs_total', { source: 'iam', status: 'succeeded' }), 0);
  assert.equal(before.value('policywatch_iam_api_calls_total'), 0);
  assert.equal(before.value('policywatch_policy_versions_stored', { origin: 'iam' }), 0);

  // First poll: backfills the history (no detection latency: those versions are old news).
  const first = await app.services.iamPoll.poll();
  assert.equal(first.run.status, 'succeeded');
  const after1 = await scrape(app);
  assert.equal(after1.value('policywatch_poll_runs_total', { source: 'iam', status: 'succeeded' }), 1);
  assert.equal(after1.value('policywatch_iam_api_calls_total'), first.run.apiCalls);
  assert.ok(first.run.apiCalls > 0);
  assert.equal(after1.value('policywatch_policy_versions_stored', { origin: 'iam' }), q.versions.length - 1);
  assert.equal(after1.value('policywatch_change_events_stored', { kind: 'created' }), 1);
  assert.ok(after1.value('policywatch_change_events_stored', { kind: 'permissions_changed' }) >= 1);
  assert.equal(after1.histogram('policywatch_poll_run_duration_seconds', { source: 'iam' }).count, 1);
  assert.equal(after1.histogram('policywatch_detection_latency_seconds').count, 0);
  // The scrape itself is an HTTP request timed by route pattern.
  assert.ok(after1.histogram('policywatch_http_request_duration_seconds', { method: 'GET', route: '/metrics', status_code: '200' }).count >= 1);

  // AWS publishes a version two minutes ago; the next poll finds it.
  fake.publishVersion('AmazonQFullAccess', newest.document, { createDate: new Date(Date.now() - 120_000) });
  const second = await app.services.iamPoll.poll();
  assert.equal(second.versionsAdded, 1);
  const after2 = await scrape(app);
  assert.equal(after2.value('policywatch_poll_runs_total', { source: 'iam', status: 'succeeded' }), 2);
  assert.equal(after2.value('policywatch_iam_api_calls_total'), first.run.apiCalls + second.run.apiCalls);
  assert.equal(after2.value('policywatch_policy_versions_stored', { origin: 'iam' }), q.versions.length);
  const latency = after2.histogram('policywatch_detection_latency_seconds');
  assert.equal(latency.count, 1);
  assert.ok(latency.sum >= 120 && latency.sum < 3600, `latency ${latency.sum} s is about two minutes`);
  assert.equal(latency.buckets['60'], '0');
  assert.equal(latency.buckets['300'], '1');

  // A documentation feed that cannot be reached: one feed error, an rss run counted.
  await app.services.docHistory.addFeed({ url: 'http://127.0.0.1:9/doc-history.rss', services: ['q'] });
  await app.services.docHistory.poll();
  const after3 = await scrape(app);
  assert.equal(after3.value('policywatch_feed_errors_total'), 1);
  assert.equal(after3.value('policywatch_poll_errors_total', { source: 'rss' }), 1);
  assert.equal(after3.histogram('policywatch_poll_run_duration_seconds', { source: 'rss' }).count, 1);
  assert.ok(after3.value('policywatch_poll_last_success_timestamp_seconds', { source: 'iam' }) * 1000 <= Date.now());
});

test('/metrics answers on an app that never polled (PGlite)', async (t) => {
  const app = await build(t, { backend: 'pglite' });
  const m = await scrape(app);
  assert.equal(m.value('policywatch_iam_api_calls_total'), 0);
  assert.equal(m.histogram('policywatch_detection_latency_seconds').count, 0);
  assert.equal(m.value('policywatch_metrics_collect_errors_total', { series: 'poll_runs' }), 0);
});
