// The dispatcher and the subscription service against in-memory fakes: attempt bookkeeping,
// Slack's Retry-After, 404/410 disabling, dead after the last attempt, redelivery, and secrets
// shown once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher, parseRetryAfter } from '../../src/services/alerts/dispatcher.ts';
import { SubscriptionService } from '../../src/services/alerts/subscription-service.ts';
import { RetryAfterError } from '../../src/core/alerts.ts';
import type { AlertEvent } from '../../src/alerts/types.ts';
import { FakeHttp, FakeQueue, InMemorySubscriptionStore } from '../support/fake-alerts.ts';
import { independentHmacValid } from '../support/webhook-verify.ts';
import { pino } from 'pino';

const log = pino({ level: 'silent' });
const now = new Date('2026-11-30T12:00:00Z');
const event = { id: 'evt_1', policy: { name: 'AmazonQFullAccess', arn: 'arn:aws:iam::aws:policy/AmazonQFullAccess' }, kind: 'permissions_changed', fromVersionId: 'v4', toVersionId: 'v5', occurredAt: now, occurredAtUnreliable: false, flags: [], broadened: true, narrowed: false, effective: { added: [], removed: [], scopeChanged: [] }, deny: { added: [], removed: [], scopeChanged: [] }, literal: { added: [], removed: [] }, docHistory: [] } as unknown as AlertEvent;

async function setup(answers: ConstructorParameters<typeof FakeHttp>[0], kind: 'slack' | 'webhook' = 'webhook') {
  const store = new InMemorySubscriptionStore();
  const queue = new FakeQueue();
  const http = new FakeHttp(answers);
  const service = new SubscriptionService({ store, queue, http, log });
  const created = await service.create({ name: 'ops', kind, url: 'https://hooks.example.com/secret-path' });
  const d = store.add({ id: 'msg_1', subscriptionId: created.id, eventIds: ['evt_1'] });
  const dispatcher = new Dispatcher({ store, sends: store, http, log, events: async () => [event], options: { sendTimeoutMs: 1000, goneLimit: 3 }, now: () => now });
  return { store, queue, http, service, created, d, dispatcher };
}

test('a delivered webhook is signed, recorded, and its secret was shown once only', async () => {
  const { store, http, service, created, dispatcher } = await setup([{ status: 204, retryAfter: null }]);
  assert.match(created.secret ?? '', /^whsec_/);
  assert.equal(created.url, 'https://hooks.example.com/secret-path');
  const shown = await service.get(created.id);
  assert.equal(shown.url, 'https://hooks.example.com/…');
  assert.ok(!JSON.stringify(shown).includes('whsec_') && !JSON.stringify(await service.list({ limit: 10 })).includes('secret-path'));
  await dispatcher.handle({ deliveryId: 'msg_1', attempt: 1, lastAttempt: false });
  const req = http.requests[0];
  assert.ok(req && independentHmacValid(created.secret ?? '', req.headers, req.body));
  assert.equal(req.headers['webhook-id'], 'msg_1');
  assert.equal(JSON.parse(req.body).event.id, 'evt_1');
  assert.equal((await store.delivery('msg_1'))?.status, 'delivered');
  // A duplicate job (the queue is at-least-once) sends nothing.
  await dispatcher.handle({ deliveryId: 'msg_1', attempt: 2, lastAttempt: false });
  assert.equal(http.requests.length, 1);
});

test('a 500 is a failed attempt the queue retries; the last one makes the delivery dead', async () => {
  const { store, dispatcher } = await setup([{ status: 500, retryAfter: null }, Object.assign(new Error('x'), { reason: 'connect-failed' })]);
  await assert.rejects(dispatcher.handle({ deliveryId: 'msg_1', attempt: 1, lastAttempt: false }), /http-500/);
  let d = await store.delivery('msg_1');
  assert.equal(d?.status, 'retrying');
  assert.equal(d?.lastError, 'http-500');
  await assert.rejects(dispatcher.handle({ deliveryId: 'msg_1', attempt: 2, lastAttempt: true }), /connect-failed/);
  d = await store.delivery('msg_1');
  assert.equal(d?.status, 'dead');
  assert.equal(d?.attempts, 2);
  assert.equal(d?.lastError, 'connect-failed');
});

test("Slack's 429 Retry-After becomes the next attempt's earliest time", async () => {
  const { store, dispatcher } = await setup([{ status: 429, retryAfter: '30' }], 'slack');
  const err = await dispatcher.handle({ deliveryId: 'msg_1', attempt: 1, lastAttempt: false }).catch((e: unknown) => e);
  assert.ok(err instanceof RetryAfterError);
  assert.equal(err.retryAt.toISOString(), '2026-11-30T12:00:30.000Z');
  assert.equal((await store.delivery('msg_1'))?.nextAttemptAt?.toISOString(), '2026-11-30T12:00:30.000Z');
  assert.equal(parseRetryAfter('Mon, 30 Nov 2026 12:01:00 GMT', now)?.toISOString(), '2026-11-30T12:01:00.000Z');
  assert.equal(parseRetryAfter('soon', now), null);
});

test('404/410 three times in a row disables the subscription with the reason; another answer resets the count', async () => {
  const { store, created, dispatcher } = await setup([{ status: 410, retryAfter: null }, { status: 500, retryAfter: null }, { status: 404, retryAfter: null }, { status: 410, retryAfter: null }, { status: 404, retryAfter: null }]);
  for (let i = 0; i < 4; i++) await assert.rejects(dispatcher.handle({ deliveryId: 'msg_1', attempt: i + 1, lastAttempt: false }));
  assert.equal((await store.get(created.id))?.enabled, true);
  await dispatcher.handle({ deliveryId: 'msg_1', attempt: 5, lastAttempt: false });
  const s = await store.get(created.id);
  assert.equal(s?.enabled, false);
  assert.match(s?.disabledReason ?? '', /answered 404 3 times in a row/);
  assert.equal((await store.delivery('msg_1'))?.status, 'dead');
});

test('redeliver: only delivered or dead deliveries, queued again under the same id', async () => {
  const { store, queue, service, dispatcher } = await setup([{ status: 500, retryAfter: null }]);
  await assert.rejects(service.redeliver('msg_1'), /only delivered or dead/);
  await assert.rejects(dispatcher.handle({ deliveryId: 'msg_1', attempt: 1, lastAttempt: true }));
  const r = await service.redeliver('msg_1');
  assert.equal(r.status, 'pending');
  assert.deepEqual(queue.sent.map((j) => j.deliveryId), ['msg_1']);
  assert.equal((await store.delivery('msg_1'))?.attempts, 1);
  await assert.rejects(service.redeliver('msg_nope'), /not found/);
});

test('a URL the guard refuses, or that is not a plain http(s) URL, is a 400', async () => {
  const store = new InMemorySubscriptionStore();
  const service = new SubscriptionService({ store, queue: new FakeQueue(), http: new FakeHttp([], 'blocked-address'), log });
  await assert.rejects(service.create({ name: 'x', kind: 'webhook', url: 'http://169.254.169.254/' }), (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /blocked-address/.test(e.message));
  const ok = new SubscriptionService({ store, queue: new FakeQueue(), http: new FakeHttp(), log });
  await assert.rejects(ok.create({ name: 'x', kind: 'slack', url: 'ftp://example.com/' }), /must use https/);
  await assert.rejects(ok.create({ name: 'x', kind: 'slack', url: 'https://u:p@example.com/' }), /credentials/);
  await assert.rejects(ok.create({ name: 'x', kind: 'slack', url: 'not a url' }), /valid absolute URL/);
  assert.equal(store.subs.size, 0);
});
