// The RSS poll's fencing, in process: a lease that reports the lock lost stops the poll before
// it stores anything, and the run says `lost-lock` with our own code and message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { build } from '../support/app.ts';
import { LockLostError, type LockLease } from '../../src/core/fence.ts';

const FIXTURE = readFileSync(new URL('../fixtures/rss/amazonq-doc-history.rss.xml', import.meta.url), 'utf8');

test('an rss poll whose lock is lost stores nothing and ends lost-lock; with the lock it stores the feed', async (t) => {
  const server = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FIXTURE));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const feed = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.rss`;
  const app = await build(t, { config: { rssFeeds: [feed] } });
  let checks = 0;
  const lost: LockLease = {
    assertHeld: async () => {
      checks++;
      throw new LockLostError();
    },
  };
  const r = await app.services.docHistory.poll(undefined, { timeoutMs: 5000 }, lost);
  assert.ok(checks > 0, 'the lease was checked before writing');
  assert.equal(r.run.status, 'lost-lock');
  assert.deepEqual(r.run.errors.map((e) => e.code), ['LOST_LOCK']);
  assert.equal(r.entriesAdded, 0);
  const entries = (await app.inject('/api/doc-history?limit=5')).json() as { items: unknown[] };
  assert.equal(entries.items.length, 0, 'nothing stored after the lock was lost');

  const held: LockLease = { assertHeld: async () => {} };
  const ok = await app.services.docHistory.poll(undefined, { timeoutMs: 5000 }, held);
  assert.equal(ok.run.status, 'succeeded');
  assert.ok(ok.entriesAdded > 0);
  const runs = (await app.inject('/api/poll-runs?limit=5')).json() as { items: { id: string; status: string }[] };
  assert.deepEqual(runs.items.map((x) => x.status), ['succeeded', 'lost-lock'], 'the lost-lock run keeps its status');
});
