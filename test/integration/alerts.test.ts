// Alerts end to end on Postgres: the real SDK client polls the fake IAM endpoint, the real
// dispatcher (pg-boss) sends to local receivers through the outbound guard, the API shows the
// delivery log. Logs of the whole file are captured and searched for secrets at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { buildApp } from '../../src/app.ts';
import { loggerOptions } from '../../src/config/logger.ts';
import { FakeIam } from '../../src/sources/fake-iam/fake-iam.ts';
import type { CreatedSubscription, Delivery, DeliveryPage, Subscription } from '../../src/http/schemas/subscriptions.ts';
import { testConfig, ADMIN } from '../support/app.ts';
import { createTestDatabase, type TestDb } from '../support/db.ts';
import { testSource } from '../support/fake-iam-fixtures.ts';
import { Receiver, until } from '../support/receiver.ts';
import { independentHmacValid, libraryValid } from '../support/webhook-verify.ts';
import { REPO_DIR } from '../support/paths.ts';
import { readImportSource } from '../../src/sources/import/index.ts';
import { pollIam } from '../../src/jobs/jobs.ts';

type Created = Static<typeof CreatedSubscription>;
type Sub = Static<typeof Subscription>;
type DeliveryT = Static<typeof Delivery>;
type Page = Static<typeof DeliveryPage>;

const fixture = (v: string) => JSON.parse(readFileSync(`${REPO_DIR}test/fixtures/alerts/AmazonQFullAccess-${v}.json`, 'utf8')) as { PolicyVersion: { Document: unknown; CreateDate: string } };
const V4 = fixture('v4').PolicyVersion;
const V5 = fixture('v5').PolicyVersion;

/** Everything every app in this file logged, at debug level. */
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(chunk.toString('utf8'));
    cb();
  },
});
const secrets: string[] = [];

async function appOn(tdb: TestDb, o: { iam?: string; config?: Parameters<typeof testConfig>[0]; resolver?: Parameters<typeof buildApp>[0]['resolver'] } = {}) {
  const config = testConfig({ alertRetries: 4, alertRetryDelaySeconds: 0, alertTimeoutMs: 2000, alertGoneLimit: 3, ...o.config });
  const app = await buildApp({
    config, db: tdb.db, iam: o.iam ? testSource(o.iam) : undefined, resolver: o.resolver, worker: false, seed: false,
    logger: { ...loggerOptions({ logLevel: 'debug' }), stream: logStream },
  });
  await app.ready();
  return app;
}

async function inject<T>(app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<{ status: number; body: T }> {
  const res = await app.inject({ headers: ADMIN, method, url, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
}

describe('alerts (Postgres, fake IAM, local receivers)', () => {
  let tdb: TestDb;
  let app: FastifyInstance;
  const fake = new FakeIam([{
    policyName: 'AmazonQFullAccess', path: '/', defaultVersionId: 'v4',
    versions: [{ versionId: 'v4', document: JSON.stringify(V4.Document), createDate: new Date(V4.CreateDate) }],
  }]);
  const slack = new Receiver();
  const hook = new Receiver();
  const other = new Receiver();

  before(async () => {
    const { url } = await fake.start();
    for (const r of [slack, hook, other]) await r.start();
    tdb = await createTestDatabase('postgres');
    app = await appOn(tdb, { iam: url });
    await app.services.alerts.dispatch();
  });
  after(async () => {
    await app.close();
    await tdb.cleanup();
    for (const r of [slack, hook, other]) await r.stop();
    await fake.stop();
  });

  const create = async (body: object) => {
    const r = await inject<Created>(app, 'POST', '/api/subscriptions', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    secrets.push(r.body.url, ...(r.body.secret ? [r.body.secret] : []));
    return r.body;
  };
  const deliveries = async (id: string) => (await inject<Page>(app, 'GET', `/api/subscriptions/${id}/deliveries`)).body.items;

  let slackSub: Created;
  let hookSub: Created;
  let otherSub: Created;

  test('the poll that detects AmazonQFullAccess v4→v5 sends exactly one Slack message and one webhook per matching subscription', async () => {
    // The first poll (the policy is new) happens before any subscription exists: no alert.
    assert.equal((await app.services.iamPoll.poll()).run.status, 'succeeded');
    slackSub = await create({ name: 'ops', kind: 'slack', url: `${slack.url}/T000/B000/slack-secret-path`, filters: { policies: ['AmazonQ*'] } });
    hookSub = await create({ name: 'automation', kind: 'webhook', url: `${hook.url}?token=hook-secret-token`, filters: { flags: ['privilege-escalation'] } });
    otherSub = await create({ name: 'other', kind: 'webhook', url: other.url, filters: { policies: ['ReadOnlyAccess'] } });
    assert.match(hookSub.secret ?? '', /^whsec_/);
    assert.equal(slackSub.secret, undefined);
    assert.equal(slack.requests.length + hook.requests.length, 0);

    const v5 = fake.publishVersion('AmazonQFullAccess', V5.Document, { createDate: new Date(V5.CreateDate) });
    assert.equal(v5, 'v5');
    assert.equal((await app.services.iamPoll.poll()).versionsAdded, 1);
    await slack.waitFor(1);
    await hook.waitFor(1);

    const s = slack.requests[0];
    const msg = JSON.parse(s?.body ?? '{}') as { text: string; blocks: { type: string; text?: { text: string } }[] };
    assert.equal(msg.blocks[0]?.type, 'header');
    assert.equal(msg.blocks[0]?.text?.text, 'AmazonQFullAccess v4 → v5');
    const all = msg.blocks.map((b) => b.text?.text ?? '').join('\n');
    assert.match(all, /\*Added \(10\)\*/);
    assert.match(all, /`iam:PassRole`:rotating_light:/);

    const h = hook.requests[0];
    assert.ok(h);
    const secret = hookSub.secret ?? '';
    assert.ok(libraryValid(secret, h.headers, h.body), 'standardwebhooks verifies');
    assert.ok(independentHmacValid(secret, h.headers, h.body), 'independent HMAC verifies');
    assert.ok(!libraryValid(secret, h.headers, h.body.replace('AmazonQFullAccess', 'AmazonQFullAccesX')), 'tampered body fails');
    assert.ok(!independentHmacValid(secret, h.headers, `${h.body} `), 'tampered body fails the HMAC');
    const body = JSON.parse(h.body) as { type: string; event: { policy: { name: string }; fromVersionId: string; toVersionId: string; kind: string; effective: { added: { action: string }[] } } };
    assert.equal(body.type, 'policywatch.change');
    assert.equal(body.event.policy.name, 'AmazonQFullAccess');
    assert.deepEqual([body.event.fromVersionId, body.event.toVersionId, body.event.kind], ['v4', 'v5', 'permissions_changed']);
    assert.ok(body.event.effective.added.some((a) => a.action === 'iam:PassRole'));

    const [d] = await until(() => deliveries(hookSub.id), (ds) => ds[0]?.status === 'delivered', 10_000, 'delivered');
    assert.equal(d?.id, h.headers['webhook-id']);
    assert.equal(d?.attempts, 1);
    assert.equal(d?.kind, 'event');
    // Nothing for the subscription whose filter does not match, and nothing twice.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(other.requests.length, 0);
    assert.equal(slack.requests.length, 1);
    assert.equal(hook.requests.length, 1);
  });

  test('a metadata-only bump, a quiet poll and an import alert nobody', async () => {
    fake.publishVersion('AmazonQFullAccess', V5.Document);
    const r = await app.services.iamPoll.poll();
    assert.equal(r.versionsAdded, 1);
    const events = (await app.inject('/api/policies/AmazonQFullAccess/changes?kind=all')).json() as { items: { toVersionId: string; kind: string }[] };
    assert.equal(events.items.find((e) => e.toVersionId === 'v6')?.kind, 'metadata_only');
    await app.services.iamPoll.poll();
    // A backfill of older history (IAMTrail fixture: v2) adds events but never alerts.
    const imported = await app.services.importer.import('fixture', readImportSource(`${REPO_DIR}test/fixtures/import/iamtrail`, { onProblem: () => {} }));
    assert.ok(imported.versionsAdded >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(slack.requests.length, 1);
    assert.equal(hook.requests.length, 1);
    assert.equal((await deliveries(slackSub.id)).length, 1);
  });

  test('a crash between storing versions and events neither loses nor invents an alert', async () => {
    // The event transaction fails at the outbox (as a crash there would end it): nothing commits.
    await tdb.db.sql.exec(`CREATE FUNCTION pw_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$;
      CREATE TRIGGER pw_test_fail BEFORE INSERT ON alert_deliveries FOR EACH ROW EXECUTE FUNCTION pw_test_fail();`);
    const doc = V5.Document as { Statement: object[] };
    const v7 = fake.publishVersion('AmazonQFullAccess', { ...doc, Statement: [...doc.Statement, { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    const failed = await app.services.iamPoll.poll();
    assert.ok(failed.run.errors.some((e) => e.code === 'EVENTS_FAILED'));
    const changes = async () => ((await app.inject('/api/policies/AmazonQFullAccess/changes?kind=all')).json() as { items: { toVersionId: string }[] }).items;
    assert.ok(!(await changes()).some((e) => e.toVersionId === v7), 'the event rolled back with its deliveries');
    await tdb.db.sql.exec('DROP TRIGGER pw_test_fail ON alert_deliveries; DROP FUNCTION pw_test_fail();');
    // The next scheduled poll first computes the missing events, through the outbox.
    await pollIam({ services: app.services, log: app.log, signal: new AbortController().signal });
    assert.ok((await changes()).some((e) => e.toVersionId === v7));
    // The import above added AmazonQDeveloperAccess, which the fake IAM does not list: the same
    // (failed, then reconciled) poll retired it, a real deprecation that alerts once too.
    await slack.waitFor(3);
    await new Promise((r) => setTimeout(r, 1500));
    const texts = slack.requests.map((r) => (JSON.parse(r.body) as { text: string }).text);
    assert.deepEqual(texts.slice(1).sort(), [`AmazonQDeveloperAccess deprecated (last version v6): deprecated`, `AmazonQFullAccess v6 → ${v7}: permissions changed`]);
    assert.equal(hook.requests.length, 1, 's3:GetObject is no privilege escalation');
  });

  test('GET never shows a URL or secret after creation; PATCH and DELETE work; bad input is a 400 naming the problem', async () => {
    const got = await inject<Sub>(app, 'GET', `/api/subscriptions/${hookSub.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.url, 'http://127.0.0.1:' + hook.port + '/…');
    assert.equal(got.body.hasSecret, true);
    const list = await inject<{ items: Sub[] }>(app, 'GET', '/api/subscriptions?limit=2');
    assert.equal(list.body.items.length, 2);
    const text = JSON.stringify([got.body, list.body, await deliveries(hookSub.id)]);
    for (const s of secrets) assert.ok(!text.includes(s), 'no URL or secret in responses');
    assert.ok(!text.includes('hook-secret-token') && !text.includes('whsec_'));

    const patched = await inject<Sub>(app, 'PATCH', `/api/subscriptions/${otherSub.id}`, { mode: 'daily', filters: { kinds: ['metadata_only'] } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.mode, 'daily');
    assert.deepEqual(patched.body.filters.kinds, ['metadata_only']);
    for (const [body, re] of [
      [{ name: 'x', kind: 'teams', url: hook.url }, /kind/],
      [{ name: 'x', kind: 'slack', url: hook.url, filters: { accessLevels: ['Admin'] } }, /accessLevels/],
      [{ name: 'x', kind: 'slack', url: hook.url, extra: 1 }, /unknown body field `extra`/],
      [{ name: 'x', kind: 'slack', url: 'ftp://127.0.0.1/' }, /https/],
    ] as const) {
      const r = await inject<{ error: { code: string; message: string } }>(app, 'POST', '/api/subscriptions', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error.message, re);
    }
    assert.equal((await inject(app, 'GET', '/api/subscriptions/sub_000000000000000000000000')).status, 404);
    assert.equal((await inject(app, 'DELETE', `/api/subscriptions/${otherSub.id}`)).status, 204);
    assert.equal((await inject(app, 'DELETE', `/api/subscriptions/${otherSub.id}`)).status, 404);
  });

  test('a receiver that answers 500 to the first 4 attempts gets the 5th with the same webhook-id', async () => {
    const flaky = await new Receiver((n) => ({ status: n < 4 ? 500 : 200 })).start();
    try {
      const sub = await create({ name: 'flaky', kind: 'webhook', url: flaky.url });
      const t = await inject<DeliveryT>(app, 'POST', `/api/subscriptions/${sub.id}/test`);
      assert.equal(t.status, 202);
      await flaky.waitFor(5);
      const ids = new Set(flaky.requests.map((r) => r.headers['webhook-id']));
      assert.deepEqual([...ids], [t.body.id]);
      for (const r of flaky.requests) assert.ok(independentHmacValid(sub.secret ?? '', r.headers, r.body));
      const [d] = await until(() => deliveries(sub.id), (ds) => ds[0]?.status === 'delivered', 10_000, 'delivered');
      assert.equal(d?.attempts, 5);
      assert.equal(d?.lastError, null);
    } finally {
      await flaky.stop();
    }
  });

  test('a receiver down for the whole retry window ends dead; a redeliver succeeds under the same id', async () => {
    const down = await new Receiver().start();
    const port = down.port;
    await down.stop();
    const sub = await create({ name: 'down', kind: 'webhook', url: `http://127.0.0.1:${port}/hook` });
    const t = await inject<DeliveryT>(app, 'POST', `/api/subscriptions/${sub.id}/test`);
    const [dead] = await until(() => deliveries(sub.id), (ds) => ds[0]?.status === 'dead', 30_000, 'dead');
    assert.equal(dead?.attempts, 5);
    assert.equal(dead?.lastError, 'connect-failed');
    const up = await new Receiver().start(port);
    try {
      const r = await inject<DeliveryT>(app, 'POST', `/api/deliveries/${t.body.id}/redeliver`);
      assert.equal(r.status, 202);
      await up.waitFor(1);
      assert.equal(up.requests[0]?.headers['webhook-id'], t.body.id);
      const [d] = await until(() => deliveries(sub.id), (ds) => ds[0]?.status === 'delivered', 10_000, 'delivered');
      assert.equal(d?.attempts, 6);
      // A delivered delivery can be redelivered again; an unknown one is a 404.
      assert.equal((await inject(app, 'POST', '/api/deliveries/msg_000000000000000000000000000000/redeliver')).status, 404);
    } finally {
      await up.stop();
    }
  });

  test("Slack's 429 Retry-After is honoured", async () => {
    const throttled = await new Receiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 })).start();
    try {
      const sub = await create({ name: 'throttled', kind: 'slack', url: throttled.url });
      await inject(app, 'POST', `/api/subscriptions/${sub.id}/test`);
      const [first, second] = await throttled.waitFor(2);
      assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 1900, `retried after ${(second?.at ?? 0) - (first?.at ?? 0)} ms`);
      await until(() => deliveries(sub.id), (ds) => ds[0]?.status === 'delivered', 10_000, 'delivered');
    } finally {
      await throttled.stop();
    }
  });

  test('a target answering 410 repeatedly disables its subscription, with the reason', async () => {
    const gone = await new Receiver(() => ({ status: 410 })).start();
    try {
      const sub = await create({ name: 'gone', kind: 'webhook', url: gone.url });
      await inject(app, 'POST', `/api/subscriptions/${sub.id}/test`);
      const s = await until(async () => (await inject<Sub>(app, 'GET', `/api/subscriptions/${sub.id}`)).body, (b) => !b.enabled, 20_000, 'disabled');
      assert.match(s.disabledReason ?? '', /410 3 times in a row/);
      assert.equal(gone.requests.length, 3);
      const [d] = await deliveries(sub.id);
      assert.equal(d?.status, 'dead');
      assert.equal((await inject(app, 'POST', `/api/subscriptions/${sub.id}/test`)).status, 409);
      // Re-enabling clears the reason.
      const again = await inject<Sub>(app, 'PATCH', `/api/subscriptions/${sub.id}`, { enabled: true });
      assert.equal(again.body.disabledReason, null);
    } finally {
      await gone.stop();
    }
  });

  test('a receiver that redirects to a refused address ends in a recorded failure', async () => {
    const redirect = await new Receiver(() => ({ status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data/' } })).start();
    try {
      const sub = await create({ name: 'redirect', kind: 'webhook', url: redirect.url });
      await inject(app, 'POST', `/api/subscriptions/${sub.id}/test`);
      const [d] = await until(() => deliveries(sub.id), (ds) => ds[0]?.status === 'dead', 20_000, 'dead');
      assert.equal(d?.lastError, 'blocked-address');
    } finally {
      await redirect.stop();
    }
  });

  test('refused targets are a 400: 169.254.169.254, a name resolving to 127.0.0.1 without the setting, public http', async () => {
    const strict = await appOn(tdb, {
      config: { feedAllowInternal: false, allowPrivateUrls: false },
      resolver: async (name) => name === 'internal.example' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '93.184.215.14', family: 4 }],
    });
    try {
      for (const [url, reason] of [
        ['http://169.254.169.254/latest/meta-data/', 'blocked-address'],
        ['https://[::ffff:169.254.169.254]/', 'blocked-address'],
        ['https://internal.example/hook', 'blocked-address'],
        ['http://public.example/hook', 'blocked-scheme'],
      ] as const) {
        const r = await inject<{ error: { code: string; message: string } }>(strict, 'POST', '/api/subscriptions', { name: 'x', kind: 'webhook', url });
        assert.equal(r.status, 400, url);
        assert.equal(r.body.error.code, 'URL_REFUSED');
        assert.match(r.body.error.message, new RegExp(reason));
      }
      assert.equal((await inject(strict, 'POST', '/api/subscriptions', { name: 'ok', kind: 'slack', url: 'https://hooks.example/services/T/B/x' })).status, 201);
    } finally {
      await strict.close();
    }
  });

  test('the captured logs contain no webhook URL, signing secret or token', () => {
    const text = logLines.join('');
    assert.ok(text.includes('alert delivered'), 'the dispatcher did log');
    for (const s of secrets) assert.ok(!text.includes(s), 'a secret or URL reached the logs');
    assert.ok(!text.includes('whsec_') && !text.includes('hook-secret-token') && !text.includes('slack-secret-path'));
  });
});
