// Alerts on the embedded PGlite default: pg-boss runs through its PGlite adapter, deliveries are
// queued in the event transaction and sent by the in-process dispatcher; an hourly digest
// collects a period's events into one delivery and sends them as one message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { FakeIam } from '../../src/sources/fake-iam/fake-iam.ts';
import { build, ADMIN } from '../support/app.ts';
import { testSource } from '../support/fake-iam-fixtures.ts';
import { Receiver, until } from '../support/receiver.ts';
import { independentHmacValid, libraryValid } from '../support/webhook-verify.ts';
import { REPO_DIR } from '../support/paths.ts';

const fixture = (v: string) => (JSON.parse(readFileSync(`${REPO_DIR}test/fixtures/alerts/AmazonQFullAccess-${v}.json`, 'utf8')) as { PolicyVersion: { Document: { Statement: object[] }; CreateDate: string } }).PolicyVersion;

describe('alerts on PGlite', () => {
  const V4 = fixture('v4');
  const V5 = fixture('v5');
  const fake = new FakeIam([{ policyName: 'AmazonQFullAccess', path: '/', defaultVersionId: 'v4', versions: [{ versionId: 'v4', document: JSON.stringify(V4.Document), createDate: new Date(V4.CreateDate) }] }]);
  const instant = new Receiver();
  const digest = new Receiver();
  const closers: (() => Promise<void>)[] = [];
  let app: FastifyInstance;

  before(async () => {
    const { url } = await fake.start();
    await instant.start();
    await digest.start();
    app = await build({ after: (fn) => closers.push(fn) }, { backend: 'pglite', iam: testSource(url), config: { alertRetryDelaySeconds: 0 } });
    await app.services.alerts.dispatch();
  });
  after(async () => {
    for (const fn of closers.reverse()) await fn();
    await instant.stop();
    await digest.stop();
    await fake.stop();
  });

  test('two live changes: two instant webhooks, one hourly digest holding both', async () => {
    await app.services.iamPoll.poll();
    const sub = async (mode: string, url: string) => (await app.inject({ headers: ADMIN, method: 'POST', url: '/api/subscriptions', payload: { name: mode, kind: 'webhook', url, mode } })).json() as { id: string; secret: string };
    const now = await sub('instant', instant.url);
    const hourly = await sub('hourly', digest.url);
    fake.publishVersion('AmazonQFullAccess', V5.Document, { createDate: new Date(V5.CreateDate) });
    await app.services.iamPoll.poll();
    fake.publishVersion('AmazonQFullAccess', { ...V5.Document, Statement: [...V5.Document.Statement, { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    await app.services.iamPoll.poll();

    await instant.waitFor(2);
    // Deliveries run concurrently: each change arrives once, in whichever order the sends finish.
    const events = instant.requests.map((r) => (JSON.parse(r.body) as { event: { toVersionId: string } }).event.toVersionId);
    assert.deepEqual(events.sort(), ['v5', 'v6']);
    for (const r of instant.requests) assert.ok(libraryValid(now.secret, r.headers, r.body) && independentHmacValid(now.secret, r.headers, r.body));

    type D = { id: string; kind: string; status: string; eventIds: string[]; periodStart: string; nextAttemptAt: string };
    const [d] = ((await app.inject({ headers: ADMIN, url: `/api/subscriptions/${hourly.id}/deliveries` })).json() as { items: D[] }).items;
    assert.equal(d?.kind, 'digest');
    assert.equal(d?.status, 'collecting');
    assert.equal(d?.eventIds.length, 2);
    assert.equal(Date.parse(d?.nextAttemptAt ?? '') - Date.parse(d?.periodStart ?? ''), 3_600_000);
    assert.equal(digest.requests.length, 0, 'nothing before the period ends');

    // The period's end, as the queue would reach it: one message with both events.
    await app.services.alerts.dispatcher.handle({ deliveryId: d?.id ?? '', attempt: 1, lastAttempt: false });
    const [m] = await digest.waitFor(1);
    assert.ok(m && libraryValid(hourly.secret, m.headers, m.body));
    const body = JSON.parse(m?.body ?? '{}') as { type: string; mode: string; events: { toVersionId: string }[] };
    assert.equal(body.type, 'policywatch.digest');
    assert.deepEqual(body.events.map((e) => e.toVersionId).sort(), ['v5', 'v6']);
    await until(async () => ((await app.inject({ headers: ADMIN, url: `/api/subscriptions/${hourly.id}/deliveries` })).json() as { items: D[] }).items, (ds) => ds[0]?.status === 'delivered', 5000, 'digest delivered');
  });
});
