// The HTTP API through app.inject on the real app and a real Postgres database, filled by real
// polls of the fake IAM endpoint (the AmazonQ corpus plus generated policies, through a gate
// proxy so "a poll is running" can be held for as long as a test needs).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { FakePolicy } from '../../src/sources/fake-iam/fake-iam.ts';
import { ADMIN, build } from '../support/app.ts';
import { startCorpusIam } from '../support/iam.ts';
import { testSource } from '../support/fake-iam-fixtures.ts';
import { startGateProxy } from '../support/gate-proxy.ts';
import { buildReplicas } from '../support/replicas.ts';
import { waitFor } from '../support/cli.ts';
import { pollIam } from '../../src/jobs/jobs.ts';
import type { ErrorBody } from '../../src/http/schemas/common.ts';
import type { PolicyPage } from '../../src/http/schemas/policies.ts';
import type { PollRun } from '../../src/http/schemas/poll-runs.ts';
import type { Static } from '@sinclair/typebox';
import type { Readiness } from '../../src/http/schemas/health.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});
const ctx = { after: (fn: () => Promise<void>) => cleanups.push(fn) };

type Run = PollRun;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** Generated policies whose names exercise case, IAM's punctuation and LIKE wildcards. */
function generatedPolicies(): FakePolicy[] {
  const names: string[] = [];
  for (let i = 0; i < 20; i++) names.push(`PwGenerated${String(i).padStart(2, '0')}Access`);
  for (let i = 0; i < 10; i++) names.push(`pw-lower-${i}`);
  for (let i = 0; i < 10; i++) names.push(`PW_UPPER_${i}`);
  names.push('Pw.dot@at=eq,comma+plus', 'zz-Last');
  return names.map((policyName, i) => ({
    policyName, path: '/', defaultVersionId: 'v1',
    versions: [{ versionId: 'v1', document: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: `svc${i}:Get*`, Resource: '*' }] }), createDate: new Date(Date.UTC(2024, 0, 1 + i)) }],
  }));
}

// timeout: a hang guard (a poll that never finishes), not a speed check.
describe('HTTP API', { timeout: 300_000 }, async () => {
  const { fake, url: fakeUrl } = await startCorpusIam(ctx);
  for (const p of generatedPolicies()) fake.upsertPolicy(p);
  const gate = await startGateProxy(fakeUrl);
  cleanups.push(() => gate.stop());
  // Two replicas over one database: the second shows the cross-process side of POST /poll-runs.
  const { apps: [app, replica] } = await buildReplicas(ctx, 2, { iam: testSource(gate.url) }) as { apps: FastifyInstance[] };
  assert.ok(app && replica);
  const get = async <T = unknown>(url: string) => {
    const r = await app.inject(url);
    return { status: r.statusCode, body: r.json() as T, headers: r.headers };
  };
  const waitFinished = (id: string) => waitFor(`poll run ${id} to finish`, async () => {
    const r = await get<Run>(`/api/poll-runs/${id}`);
    return r.body.status !== 'running' ? r.body : undefined;
  }, { timeoutMs: 60_000 });
  const TOTAL = 4 + generatedPolicies().length;

  test('/healthz and /readyz on a fresh database', async () => {
    assert.deepEqual((await get('/healthz')).body, { status: 'ok' });
    const ready = await get<Static<typeof Readiness>>('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.checks.database, { state: 'ok' });
    assert.equal(ready.body.checks.sources?.iam.lastSuccessAt, null);
    assert.equal(ready.body.checks.sources?.iam.state, 'pending', 'never polled: ready, nothing to be stale');
  });

  test('POST /api/poll-runs: 202 with the run and its Location; 409 while it runs, here and on another replica', async () => {
    gate.hold((r) => r.action === 'GetPolicyVersion');
    const started = await app.inject({ method: 'POST', headers: ADMIN, url: '/api/poll-runs' });
    assert.equal(started.statusCode, 202, started.body);
    const run = started.json() as Run;
    assert.match(run.id, /^\d+$/);
    assert.equal(run.status, 'running');
    assert.equal(run.source, 'iam');
    assert.equal(started.headers.location, `/api/poll-runs/${run.id}`);
    const running = await get<Run>(started.headers.location as string);
    assert.equal(running.status, 200);
    assert.equal(running.body.status, 'running');

    for (const [who, inst] of [['same replica', app], ['other replica', replica]] as const) {
      const again = await inst.inject({ method: 'POST', headers: ADMIN, url: '/api/poll-runs' });
      assert.equal(again.statusCode, 409, `${who}: ${again.body}`);
      assert.match(String(again.headers['content-type']), /application\/json/);
      const err = (again.json() as ErrorBody).error;
      assert.equal(typeof err.code, 'string', who);
      assert.ok(err.message.length > 0, who);
    }
    gate.release();
    const done = await waitFinished(run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.versionsAdded, 21 + generatedPolicies().length);
    assert.ok(done.finishedAt);
    // The run row is finished a moment before the job releases its lock. Then another manual
    // poll within the minute is refused (every poll spends IAM's rate limit), on any replica;
    // a scheduled poll is not, and finds nothing new.
    await waitFor('the scheduler to be idle', () => !app.scheduler.isRunning('iam'));
    for (const inst of [app, replica]) {
      const tooSoon = await inst.inject({ method: 'POST', headers: ADMIN, url: '/api/poll-runs' });
      assert.equal(tooSoon.statusCode, 429, tooSoon.body);
      assert.equal((tooSoon.json() as ErrorBody).error.code, 'POLL_TOO_SOON');
      const retryAfter = Number(tooSoon.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${tooSoon.headers['retry-after']}`);
    }
    const next = await app.scheduler.runNow('iam', (h) => pollIam(h));
    assert.ok(next.ran);
    assert.equal(next.result.run.versionsAdded, 0);
    const bad = await app.inject({ method: 'POST', headers: ADMIN, url: '/api/poll-runs?source=rss' });
    assert.equal(bad.statusCode, 400);
  });

  test('GET /api/policies: cursor paging visits every policy exactly once, total constant', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: PolicyPage } = await get<PolicyPage>(`/api/policies?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.total, TOTAL, 'total is the same on every page');
      assert.ok(r.body.items.length > 0, 'no empty page');
      assert.ok(r.body.items.length <= 7);
      seen.push(...r.body.items.map((i) => i.name));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(seen.length, TOTAL);
    assert.equal(new Set(seen).size, TOTAL, 'no policy twice');
    assert.deepEqual(new Set(seen), new Set([...fake.policyNames()]));
    assert.equal(pages, Math.ceil(TOTAL / 7));
    // One page with everything agrees with the paged order.
    const all = await get<PolicyPage>('/api/policies?limit=500');
    assert.deepEqual(all.body.items.map((i) => i.name), seen);
    assert.equal(all.body.nextCursor, null);
  });

  test('search is a case-insensitive substring match, and paging keeps the filter', async () => {
    const names = async (q: string) => (await get<PolicyPage>(`/api/policies?limit=500&search=${encodeURIComponent(q)}`)).body.items.map((i) => i.name);
    const q = ['AWSServiceRoleForAmazonQDeveloper', 'AmazonQDeveloperAccess', 'AmazonQFullAccess'];
    assert.deepEqual((await names('amazonq')).sort(), q.sort());
    assert.deepEqual((await names('AMAZONQ')).sort(), q.sort());
    assert.deepEqual((await names('pw-LOWER-')).length, 10);
    assert.deepEqual(await names('no-such-thing'), []);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: PolicyPage } = await get<PolicyPage>(`/api/policies?search=generated&limit=6${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.body.total, 20);
      paged.push(...r.body.items.map((i) => i.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(paged).size, 20);
    assert.ok(paged.every((n) => n.startsWith('PwGenerated')));
  });

  test('search treats LIKE wildcards (_ and %) as literal characters', async () => {
    const names = async (q: string) => (await get<PolicyPage>(`/api/policies?limit=500&search=${encodeURIComponent(q)}`)).body.items.map((i) => i.name);
    assert.deepEqual((await names('_')).sort(), Array.from({ length: 10 }, (_, i) => `PW_UPPER_${i}`).sort());
    // IAM names cannot hold "%", so a literal match finds nothing; as a LIKE pattern it matches all.
    assert.deepEqual(await names('%'), []);
    assert.deepEqual(await names('Q%A'), []);
  });

  test('deprecated filter', async () => {
    fake.removePolicy('zz-Last');
    fake.setAttachable('pw-lower-0', false);
    const r = await app.services.iamPoll.poll();
    assert.deepEqual([...r.deprecated].sort(), ['pw-lower-0', 'zz-Last']);
    const dep = await get<PolicyPage>('/api/policies?deprecated=true');
    assert.equal(dep.body.total, 2);
    assert.deepEqual(dep.body.items.map((i) => i.name).sort(), ['pw-lower-0', 'zz-Last']);
    assert.ok(dep.body.items.every((i) => i.deprecatedAt !== null));
    const live = await get<PolicyPage>('/api/policies?deprecated=false&limit=500');
    assert.equal(live.body.total, TOTAL - 2);
    assert.ok(live.body.items.every((i) => i.deprecatedAt === null));
    const both = await get<PolicyPage>('/api/policies?deprecated=true&search=LOWER');
    assert.deepEqual(both.body.items.map((i) => i.name), ['pw-lower-0']);
    assert.equal((await get('/api/policies?deprecated=yes')).status, 400);
  });

  test('a policy and its versions; unknown policy or version → 404, malformed version id → 400', async () => {
    const p = await get<{ name: string; versions: { versionId: string }[] }>('/api/policies/AmazonQFullAccess');
    assert.equal(p.status, 200);
    assert.deepEqual(p.body.versions.map((v) => v.versionId), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
    const v = await get<{ policy: string; versionId: string; document: { Version: string } }>('/api/policies/AmazonQFullAccess/versions/v9');
    assert.equal(v.status, 200);
    assert.equal(v.body.policy, 'AmazonQFullAccess');
    assert.equal(v.body.document.Version, '2012-10-17');
    assert.equal((await get('/api/policies/Pw.dot@at=eq,comma+plus')).status, 200);

    const unknown = await get<ErrorBody>('/api/policies/NoSuchPolicy');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    assert.match(unknown.body.error.message, /NoSuchPolicy/);
    const unknownVersion = await get<ErrorBody>('/api/policies/AmazonQFullAccess/versions/v8');
    assert.equal(unknownVersion.status, 404);
    assert.equal(unknownVersion.body.error.code, 'NOT_FOUND');
    assert.match(unknownVersion.body.error.message, /v8/);
    const both = await get<ErrorBody>('/api/policies/NoSuchPolicy/versions/v1');
    assert.equal(both.status, 404);
    assert.match(both.body.error.message, /NoSuchPolicy/, 'an unknown policy is named as such, not as a missing version');
    for (const bad of ['1', 'v0', 'V1', 'v1a', 'latest', 'v01', 'v1234567890']) {
      const r = await get<ErrorBody>(`/api/policies/AmazonQFullAccess/versions/${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error.code, 'INVALID_VERSION_ID', bad);
    }
    for (const badName of ['bad%20name', 'semi%3Bcolon']) {
      const r = await get<ErrorBody>(`/api/policies/${badName}`);
      assert.equal(r.status, 400, badName);
      assert.equal(r.body.error.code, 'INVALID_REQUEST');
    }
    // Clients percent-encode IAM's punctuation; the encoded form is longer but the same name.
    assert.equal((await get(`/api/policies/${encodeURIComponent('Pw.dot@at=eq,comma+plus')}`)).status, 200);
    const route = await get<ErrorBody>('/api/nothing-here');
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'NOT_FOUND');
  });

  test('policy names up to IAM\'s 128 characters are names, longer ones a 400 in the API\'s error shape', async () => {
    const longest = await get<ErrorBody>(`/api/policies/${'L'.repeat(128)}`);
    assert.equal(longest.status, 404, `128-character name: ${JSON.stringify(longest.body)}`);
    assert.equal(longest.body.error.code, 'NOT_FOUND');
    const tooLong = await get<ErrorBody>(`/api/policies/${'L'.repeat(129)}`);
    assert.equal(tooLong.status, 400, JSON.stringify(tooLong.body));
    assert.equal(tooLong.body.error.code, 'INVALID_REQUEST');
    // Percent-encoded, a 128-character name of IAM punctuation is three times as long.
    assert.equal((await get<ErrorBody>(`/api/policies/${encodeURIComponent('@'.repeat(128))}`)).status, 404);
  });

  test('forged or mangled cursors → 400 INVALID_CURSOR', async () => {
    const forged = [
      'abc', b64('{"x":1}'), b64('not json at all'), b64('{"after":1}'), b64('[]'), b64('"after"'), b64('null'),
      b64('{"after":"A","extra":"B"}'), b64(JSON.stringify({ after: 'x'.repeat(1025) })), '****', 'a.b',
    ];
    for (const c of forged) {
      const r = await get<ErrorBody>(`/api/policies?cursor=${encodeURIComponent(c)}`);
      assert.equal(r.status, 400, c);
      assert.equal(r.body.error.code, 'INVALID_CURSOR', c);
    }
    for (const c of [b64('{"before":"12"}'), b64('{"before":1.5}'), b64('{"after":"x"}'), 'abc']) {
      const r = await get<ErrorBody>(`/api/poll-runs?cursor=${encodeURIComponent(c)}`);
      assert.equal(r.status, 400, c);
      assert.equal(r.body.error.code, 'INVALID_CURSOR', c);
    }
    // Too long for the schema: rejected before decoding.
    assert.equal((await get(`/api/policies?cursor=${'A'.repeat(2049)}`)).status, 400);
    // A genuine cursor from another filter still decodes (cursors carry a position, not a filter).
    const first = await get<PolicyPage>('/api/policies?limit=1');
    assert.equal((await get(`/api/policies?limit=1&search=Pw&cursor=${first.body.nextCursor}`)).status, 200);
  });

  test('limit bounds and unknown query parameters → 400', async () => {
    for (const q of ['limit=0', 'limit=501', 'limit=-1', 'limit=abc', 'limit=1.5', 'foo=1', 'search=a&bar=2']) {
      const r = await get<ErrorBody>(`/api/policies?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'INVALID_REQUEST', q);
    }
    assert.equal((await get('/api/policies?limit=500')).status, 200);
    assert.equal((await get('/api/policies?limit=1')).status, 200);
    for (const q of ['limit=0', 'limit=201', 'source=ftp', 'foo=1']) assert.equal((await get(`/api/poll-runs?${q}`)).status, 400, q);
  });

  test('GET /api/poll-runs: newest first, cursor paging visits every run once', async () => {
    while ((await app.db.prisma.pollRun.count()) < 7) await app.services.iamPoll.poll();
    const all = await app.db.prisma.pollRun.findMany({ select: { id: true }, orderBy: { id: 'desc' } });
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { items: Run[]; nextCursor: string | null } } = await get(`/api/poll-runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.items.length > 0);
      ids.push(...r.body.items.map((x) => x.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(ids, all.map((x) => x.id.toString()));
    assert.deepEqual((await get<{ items: Run[] }>('/api/poll-runs?source=rss')).body.items, []);
    assert.equal((await get<ErrorBody>('/api/poll-runs/999999999')).status, 404);
    assert.equal((await get<ErrorBody>('/api/poll-runs/abc')).body.error.code, 'NOT_FOUND');
  });
});

describe('/readyz and the age of the last successful poll', () => {
  test('503 once the last successful poll is older than readyMaxPollAgeSeconds; failed runs do not count', async (t) => {
    const app = await build(t, { config: { readyMaxPollAgeSeconds: 600 } });
    const runs = app.db.prisma.pollRun;
    const ready = async () => {
      const r = await app.inject('/readyz');
      return { status: r.statusCode, body: r.json() as Static<typeof Readiness> };
    };
    assert.equal((await ready()).status, 200);
    const hourAgo = new Date(Date.now() - 3600_000);
    await runs.create({ data: { source: 'iam', status: 'succeeded', startedAt: hourAgo, finishedAt: hourAgo } });
    const stale = await ready();
    assert.equal(stale.status, 503);
    assert.equal(stale.body.status, 'not_ready');
    assert.ok((stale.body.checks.sources?.iam.ageSeconds ?? 0) >= 3600);
    assert.equal(stale.body.checks.sources?.iam.maxAgeSeconds, 600);
    assert.equal(stale.body.checks.sources?.iam.state, 'stale');
    // A recent failure does not make it ready; a recent partial success does.
    await runs.create({ data: { source: 'iam', status: 'failed', finishedAt: new Date() } });
    assert.equal((await ready()).status, 503);
    await runs.create({ data: { source: 'iam', status: 'partial', finishedAt: new Date() } });
    assert.equal((await ready()).status, 200);
  });

  test('readyMaxPollAgeSeconds 0 disables the age check', async (t) => {
    const app = await build(t, { config: { readyMaxPollAgeSeconds: 0 } });
    const longAgo = new Date('2020-01-01T00:00:00Z');
    await app.db.prisma.pollRun.create({ data: { source: 'iam', status: 'succeeded', startedAt: longAgo, finishedAt: longAgo } });
    assert.equal((await app.inject('/readyz')).statusCode, 200);
  });
});
