// First start on an empty database seeds the bundled dataset in the background; a seed that
// died part-way is finished at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../support/app.ts';
import { seedIfEmpty } from '../../src/jobs/jobs.ts';

test('an empty database is seeded once, and an interrupted seed resumes', async (t) => {
  const app = await build(t, { config: { seedDataset: true }, seed: true });
  type Runs = { items: { status: string; versionsAdded: number }[] };
  let runs: Runs = { items: [] };
  for (let i = 0; i < 600 && runs.items[0]?.status !== 'succeeded'; i++) {
    await sleep(500);
    runs = (await app.inject('/api/poll-runs?source=seed')).json() as Runs;
    assert.notEqual(runs.items[0]?.status, 'failed');
  }
  assert.equal(runs.items[0]?.status, 'succeeded');
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
