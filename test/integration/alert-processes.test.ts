// Alert dispatchers as real processes (`policywatch worker`) on one Postgres database: one
// killed with SIGKILL mid-send loses nothing, and two running at once never send one delivery
// at the same time (nor twice).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { testConfig, ADMIN } from '../support/app.ts';
import { createTestDatabaseUrl, TEST_DB_TIMEOUTS } from '../support/db.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { killIfRunning, spawnCli, waitFor, type CliProcess } from '../support/cli.ts';
import { Receiver, until } from '../support/receiver.ts';

describe('alert dispatcher processes (Postgres)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let db: Database;
  let app: FastifyInstance;
  const procs: CliProcess[] = [];

  before(async () => {
    ({ url, drop } = await createTestDatabaseUrl());
    db = await openDatabase({ databaseUrl: url, poolMax: 5 , timeouts: TEST_DB_TIMEOUTS });
    // The API side only: it queues, the worker processes send.
    // The same alert settings as the workers (queue options are shared through the database).
    app = await buildApp({ config: testConfig({ alertTimeoutMs: 2000, alertRetries: 4, alertRetryDelaySeconds: 0 }), db, worker: false, seed: false, logger: false });
    await app.ready();
  });
  after(async () => {
    for (const p of procs) killIfRunning(p);
    await app.close();
    await db.close();
    await drop();
  });

  const worker = async () => {
    const p = spawnCli(['worker'], {
      DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off', POLICYWATCH_POLL_CRON: '0 0 1 1 *', POLICYWATCH_RSS_CRON: '0 0 1 1 *',
      POLICYWATCH_ALLOW_PRIVATE_URLS: 'on', POLICYWATCH_ALERT_TIMEOUT_MS: '2000', POLICYWATCH_ALERT_RETRIES: '4', POLICYWATCH_ALERT_RETRY_DELAY: '0',
      LOG_LEVEL: 'info',
    }, { hangGuardMs: 180_000 });
    procs.push(p);
    await waitFor('the worker to start', () => p.stdout().includes('worker started') || p.exited(), { timeoutMs: 60_000 });
    assert.ok(!p.exited(), p.stderr());
    return p;
  };
  const subscribe = async (target: string) => {
    const r = await app.inject({ headers: ADMIN, method: 'POST', url: '/api/subscriptions', payload: { name: 'p', kind: 'webhook', url: target } });
    assert.equal(r.statusCode, 201, r.body);
    return r.json() as { id: string };
  };
  const sendTest = async (subId: string) => (await app.inject({ headers: ADMIN, method: 'POST', url: `/api/subscriptions/${subId}/test` })).json() as { id: string };
  const deliveries = async (subId: string) =>
    ((await app.inject({ headers: ADMIN, url: `/api/subscriptions/${subId}/deliveries?limit=200` })).json() as { items: { id: string; status: string; attempts: number }[] }).items;

  test('a dispatcher killed with SIGKILL mid-send loses nothing: another one sends it, same webhook-id', async () => {
    const receiver = await new Receiver((n) => (n === 0 ? 'hang' : { status: 200 })).start();
    try {
      const a = await worker();
      const sub = await subscribe(receiver.url);
      const d = await sendTest(sub.id);
      await receiver.waitFor(1);
      a.child.kill('SIGKILL');
      await a.done;
      await worker();
      // The killed attempt's job expires (twice the send timeout) and pg-boss hands it on.
      const [second] = (await receiver.waitFor(2, 60_000)).slice(1);
      assert.equal(second?.headers['webhook-id'], d.id);
      assert.equal(receiver.requests[0]?.headers['webhook-id'], d.id);
      const [row] = await until(() => deliveries(sub.id), (ds) => ds[0]?.status === 'delivered', 20_000, 'delivered');
      assert.equal(row?.id, d.id);
    } finally {
      await receiver.stop();
    }
  });

  test('two dispatcher processes never send one delivery at the same time, and each delivery once', async () => {
    const receiver = await new Receiver(() => ({ status: 200 }), 150).start();
    try {
      const [b, c] = [await worker(), await worker()];
      const sub = await subscribe(receiver.url);
      const n = 60;
      const ids = new Set<string>();
      for (let i = 0; i < n; i++) ids.add((await sendTest(sub.id)).id);
      await until(() => deliveries(sub.id), (ds) => ds.length === n && ds.every((x) => x.status === 'delivered'), 60_000, 'all delivered');
      assert.equal(receiver.maxConcurrentPerId, 1);
      assert.equal(receiver.requests.length, n, 'no delivery sent twice');
      assert.deepEqual(new Set(receiver.requests.map((r) => String(r.headers['webhook-id']))), ids);
      const sent = (p: CliProcess) => p.stdout().split('\n').filter((l) => l.includes('alert delivered')).length;
      assert.ok(sent(b) > 0 && sent(c) > 0, `both dispatchers worked (${sent(b)} and ${sent(c)})`);
      // The workers' logs (info level) name deliveries and subscriptions, never the target or secret.
      for (const p of procs) {
        const logs = p.stdout() + p.stderr();
        assert.ok(!logs.includes('/hook') && !logs.includes('whsec_'), 'no webhook URL or secret in a worker log');
      }
    } finally {
      await receiver.stop();
    }
  });
});
