// Jobs are plain functions given helpers (graphile-worker style): no scheduling, no locking
// here; the scheduler and the CLI decide when and under which lock they run.
import type { Logger } from '../core/logger.ts';
import type { LockLease } from '../core/fence.ts';
import type { Services } from '../container.ts';
import { DATASET_PACKAGE, readImportSource } from '../sources/import/index.ts';
import { pollErrorOf } from '../services/poll-errors.ts';

export interface JobHelpers {
  services: Services;
  log: Logger;
  signal: AbortSignal;
  /** The job lock's lease when the job runs under the scheduler's lock: checked before writes. */
  lease?: LockLease | undefined;
}

export async function pollIam(h: JobHelpers, onStart?: Parameters<Services['iamPoll']['poll']>[1]) {
  // Events a crashed run stored versions for but never computed are filled in first. A failure
  // there must not stop ingest: versions are what we cannot get back later.
  try {
    await h.lease?.assertHeld();
    await h.services.pipeline.reconcile(h.signal);
  } catch (err) {
    if (h.signal.aborted) throw err;
    h.log.error({ err }, 'computing missing change events failed; polling anyway');
  }
  return h.services.iamPoll.poll(h.signal, onStart, h.lease);
}

/**
 * Polls every enabled documentation-history feed, stores new entries, re-resolves policy
 * mentions and recomputes the join. `limits` overrides the fetch timeout/size cap/concurrency
 * (production defaults: 15 s, 5 MB, 4).
 */
export async function pollRss(h: JobHelpers, limits?: Parameters<Services['docHistory']['poll']>[1]) {
  return h.services.docHistory.poll(h.signal, limits, h.lease);
}

/** Import any supported backfill source (file, directory or npm package name). */
export async function importHistory(h: JobHelpers, spec: string) {
  const src = readImportSource(spec, {
    onProblem: (p) => h.log.warn({ problem: p }, 'import problem'),
  });
  const summary = await h.services.importer.import(src.descriptor.label, src, h.signal);
  return { ...summary, problems: [...src.problems] };
}

/** First start with an empty database: seed from the bundled dataset so history shows offline. */
export async function seedIfEmpty(h: JobHelpers): Promise<boolean> {
  // A seed is recorded as a run, so one that died part-way is finished at the next start (the
  // import is idempotent) instead of leaving a silently partial history behind.
  const runs = h.services.stores.pollRuns;
  const last = (await runs.list({ source: 'seed', limit: 1 }))[0];
  const { policies } = await h.services.policies.count();
  const unfinished = last !== undefined && last.status !== 'succeeded';
  if (policies > 0 && !unfinished) return false;
  await runs.abandonRunning('seed');
  h.log.info({ dataset: DATASET_PACKAGE, resuming: unfinished }, 'seeding from the bundled history dataset');
  const run = await runs.start('seed');
  try {
    const s = await importHistory(h, DATASET_PACKAGE);
    await runs.finish(run.id, { status: 'succeeded', apiCalls: 0, policiesSeen: s.policiesRead, policiesChanged: s.policiesCreated, versionsAdded: s.versionsAdded, errors: [] });
  } catch (err) {
    await runs.finish(run.id, { status: 'failed', apiCalls: 0, policiesSeen: 0, policiesChanged: 0, versionsAdded: 0, errors: [{ code: 'SEED_FAILED', message: pollErrorOf(err).message }] });
    throw err;
  }
  return true;
}
