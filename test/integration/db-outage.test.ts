// Bounded waits on Postgres, through a real `serve` process whose database traffic passes a TCP
// proxy that the test silences: API requests fail within their configured timeout with 503,
// Retry-After and our error shape (no database text), and the process recovers once traffic flows.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabaseUrl, PG_SERVER } from '../support/db.ts';
import { killIfRunning, spawnCli, waitFor } from '../support/cli.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1500;
// The client gives up 2 s after the statement timeout (src/db/database.ts); the rest is slack
// for a loaded machine, not a speed goal.
const BOUND_MS = STATEMENT_TIMEOUT_MS + 2000 + 3000;

// timeout: a hang guard, not a speed check.
test('a database whose traffic is dropped gives bounded 503s, then recovery', { timeout: 180_000 }, async () => {
  const { url, drop } = await createTestDatabaseUrl();
  cleanups.push(drop);
  const target = new URL(PG_SERVER);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  cleanups.push(() => proxy.stop());

  const p = spawnCli(['serve', '--no-worker'], {
    DATABASE_URL: proxy.url(url), PORT: '0', LOG_LEVEL: 'info', POLICYWATCH_SEED_DATASET: 'off',
    POLICYWATCH_DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), POLICYWATCH_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
  }, { hangGuardMs: 170_000 });
  cleanups.push(async () => killIfRunning(p));
  const base = await waitFor('the listening log line', () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(p.stdout())?.[1], {
    timeoutMs: 60_000, abortIf: () => (p.exited() ? `serve exited: ${p.stderr()}` : undefined),
  });
  const get = async (path: string) => {
    const started = Date.now();
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(60_000) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text(), ms: Date.now() - started };
  };
  const paths = ['/api/policies', '/api/poll-runs', '/api/changes', '/api/feeds'];
  for (const path of paths) assert.equal((await get(path)).status, 200, `${path} before the outage`);

  proxy.drop();
  // Pooled connections hang mid-query and new ones never finish their handshake: both bounded.
  for (const path of paths) {
    const r = await get(path);
    assert.equal(r.status, 503, `${path}: ${r.body}`);
    assert.ok(r.ms < BOUND_MS, `${path} answered after ${r.ms} ms (bound ${BOUND_MS} ms)`);
    assert.equal(r.retryAfter, '5');
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'DATABASE_UNAVAILABLE');
    assert.doesNotMatch(r.body, /timeout exceeded|Query read|Connection terminated|prisma|ECONN|\d+\.\d+\.\d+\.\d+/i, 'no database or socket text');
  }
  // Several at once: none waits on another's stuck connection beyond the bound.
  const burst = await Promise.all(paths.map((path) => get(path)));
  for (const r of burst) {
    assert.equal(r.status, 503);
    assert.ok(r.ms < BOUND_MS * 2, `burst request answered after ${r.ms} ms`);
  }

  proxy.restore();
  await waitFor('the API to answer again', async () => (await Promise.all(paths.map(get))).every((r) => r.status === 200), { timeoutMs: 60_000, intervalMs: 250 });
  assert.equal(p.exited(), false, 'the process survived the outage');
});
