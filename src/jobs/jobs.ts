// Jobs are plain functions given helpers (graphile-worker style): no scheduling, no locking
// here; the scheduler and the CLI decide when and under which lock they run.
import type { Logger } from '../core/logger.ts';
import type { LockLease } from '../core/fence.ts';
import type { Services } from '../container.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_PACKAGE, readImportSource } from '../sources/import/index.ts';
import type { Progress } from '../core/progress.ts';
import { pollErrorOf } from '../services/poll-errors.ts';
import { updateMirror } from '../sources/import/iamtrail-git.ts';

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

/**
 * Import any supported backfill source (file, directory, git clone or npm package name). A git
 * history resumes after the last commit imported completely, and records its head once stored.
 */
export async function importHistory(h: JobHelpers, spec: string, progress?: Progress) {
  const cursors = h.services.stores.importCursors;
  const src = readImportSource(spec, {
    onProblem: (p) => h.log.warn({ problem: p }, 'import problem'),
    onTotal: (n) => progress?.setTotal(n),
    resumeAfter: async (key) => (await cursors.get(key)) ?? undefined,
  });
  const summary = await h.services.importer.import(src.descriptor.label, src, h.signal, { dateSource: src.descriptor.dateSource, progress });
  const git = src.git;
  if (git) await cursors.set(git.resumeKey, git.head);
  return { ...summary, problems: [...src.problems], ...(git ? { git: { head: git.head, since: git.since ?? null, commits: git.commits } } : {}) };
}

/** First start with an empty database: seed from the bundled dataset so history shows offline. */
export async function seedIfEmpty(h: JobHelpers, progress?: Progress): Promise<boolean> {
  // A seed is recorded as a run, so one that died part-way is finished at the next start (the
  // import is idempotent) instead of leaving a silently partial history behind.
  const runs = h.services.stores.pollRuns;
  const last = (await runs.list({ source: 'seed', limit: 1 }))[0];
  const { policies } = await h.services.policies.count();
  const unfinished = last !== undefined && last.status !== 'succeeded';
  if (policies > 0 && !unfinished) return false;
  await runs.abandonRunning('seed');
  h.log.info({ dataset: DATASET_PACKAGE, resuming: unfinished }, 'seeding from the bundled history dataset in the background (/readyz answers 503 until it is done)');
  const run = await runs.start('seed');
  try {
    const s = await importHistory(h, DATASET_PACKAGE, progress);
    await runs.finish(run.id, { status: 'succeeded', apiCalls: 0, policiesSeen: s.policiesRead, policiesChanged: s.policiesCreated, versionsAdded: s.versionsAdded, errors: [] });
  } catch (err) {
    await runs.finish(run.id, { status: 'failed', apiCalls: 0, policiesSeen: 0, policiesChanged: 0, versionsAdded: 0, errors: [{ code: 'SEED_FAILED', message: pollErrorOf(err).message }] });
    throw err;
  }
  return true;
}

/**
 * POLICYWATCH_IAMTRAIL_REPO: brings the local mirror up to date and imports the commits that are
 * new since the last run, recorded as a run (source 'iamtrail'). An unreachable repository costs
 * one warning per day (`warnedOn` carries the day across runs) and the import goes on with the
 * mirror as it is.
 */
export async function syncIamtrail(h: JobHelpers, remote: string, warnedOn: { day?: string } = {}) {
  const runs = h.services.stores.pollRuns;
  const mirror = join(h.services.config.dataDir, 'iamtrail.git');
  const run = await runs.start('iamtrail');
  const errors: { code: string; message: string }[] = [];
  try {
    try {
      const { cloned } = await updateMirror(remote, mirror, h.signal);
      h.log.info({ remote, mirror, cloned }, 'iamtrail: mirror up to date');
    } catch (err) {
      if (h.signal.aborted) throw err;
      errors.push({ code: 'IAMTRAIL_UNREACHABLE', message: (err as Error).message });
      const day = new Date().toISOString().slice(0, 10);
      if (warnedOn.day !== day) h.log.warn({ remote, err: (err as Error).message }, 'iamtrail: repository unreachable; importing what the mirror holds (next warning tomorrow)');
      else h.log.debug({ remote, err: (err as Error).message }, 'iamtrail: repository still unreachable');
      warnedOn.day = day;
    }
    const s = errors.length > 0 && !existsSync(join(mirror, 'HEAD')) ? undefined : await importHistory(h, mirror);
    return await runs.finish(run.id, {
      status: errors.length > 0 ? (s ? 'partial' : 'failed') : 'succeeded', apiCalls: 0, policiesSeen: s?.policiesRead ?? 0,
      policiesChanged: s?.policiesCreated ?? 0, versionsAdded: s?.versionsAdded ?? 0, datesCorrected: s?.datesCorrected ?? 0,
      errors: [...errors, ...(s?.problems ?? []).slice(0, 50).map((p) => ({ policy: p.policy, versionId: p.versionId, code: p.code, message: p.message }))],
    });
  } catch (err) {
    await runs.finish(run.id, { status: 'failed', apiCalls: 0, policiesSeen: 0, policiesChanged: 0, versionsAdded: 0, errors: [...errors, { code: 'IMPORT_FAILED', message: (err as Error).message }] });
    throw err;
  }
}
