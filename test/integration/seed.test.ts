// First start on an empty database seeds the bundled dataset in the background; a seed that
// died part-way is finished at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../support/app.ts';
import { seedIfEmpty } from '../../src/jobs/jobs.ts';
import type { Static } from '@sinclair/typebox';
import type { Readiness } from '../../src/http/schemas/health.ts';
import { waitFor } from '../support/cli.ts';

test('an empty database is seeded once, and an interrupted seed resumes', async (t) => {
  const app = await build(t, { config: { seedDataset: true }, seed: true });
  type Runs = { items: { status: string; versionsAdded: number }[] };
  type Ready = Static<typeof Readiness>;
  let runs: Runs = { items: [] };
  const during: { status: number; body: Ready }[] = [];
  for (let i = 0; i < 600 && runs.items[0]?.status !== 'succeeded'; i++) {
    const ready = await app.inject('/readyz');
    if (runs.items[0]?.status === 'running') during.push({ status: ready.statusCode, body: ready.json() as Ready });
    await sleep(500);
    runs = (await app.inject('/api/poll-runs?source=seed')).json() as Runs;
    assert.notEqual(runs.items[0]?.status, 'failed');
  }
  assert.equal(runs.items[0]?.status, 'succeeded');
  // While the seed ran, /readyz said so, with its progress; once it is done the service is ready.
  assert.ok(during.length > 0, 'probed /readyz during the seed');
  for (const d of during) {
    assert.equal(d.status, 503);
    assert.equal(d.body.status, 'seeding');
    assert.equal(d.body.checks.seed.state, 'seeding');
  }
  const progressed = during.map((d) => d.body.checks.seed.progress).filter((p): p is NonNullable<typeof p> => p !== undefined && p.policiesDone > 0);
  assert.ok(progressed.length > 0, 'progress reported during the seed');
  assert.ok(progressed.every((p) => p.phase === 'events' || p.policiesTotal === 1594), 'the dataset says how many policies it holds');
  await waitFor('the seed state to settle', async () => (await app.inject('/readyz')).statusCode === 200, { timeoutMs: 10_000 });
  const ready = (await app.inject('/readyz')).json() as Ready;
  assert.equal(ready.status, 'ready');
  assert.equal(ready.checks.seed.state, 'done');
  assert.equal(ready.checks.seed.progress?.policiesDone, ready.checks.seed.progress?.phase === 'events' ? ready.checks.seed.progress?.policiesTotal : 1594);
  assert.equal(runs.items[0]?.versionsAdded, 6194);
  assert.equal(((await app.inject('/api/policies?limit=1')).json() as { total: number }).total, 1594);
  const helpers = { services: app.services, log: app.log, signal: new AbortController().signal };
  assert.equal(await seedIfEmpty(helpers), false, 'a finished seed is not repeated');

  // Simulate a seed killed part-way: its run left 'running' and some history missing.
  await app.db.prisma.pollRun.updateMany({ where: { source: 'seed' }, data: { status: 'running', finishedAt: null } });
  await app.db.prisma.policy.delete({ where: { name: 'ReadOnlyAccess' } });
  assert.equal(await seedIfEmpty(helpers), true);
  const ro = (await app.inject('/api/policies/ReadOnlyAccess')).json() as { versions: unknown[] };
  assert.equal(ro.versions.length, 151);
  const after = (await app.inject('/api/poll-runs?source=seed')).json() as { items: { status: string }[] };
  assert.deepEqual(after.items.map((r) => r.status), ['succeeded', 'abandoned']);
});
