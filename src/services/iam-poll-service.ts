// One IAM poll: list every AWS managed policy, fetch only what changed, store it.
// A quiet poll costs the ListPolicies pages alone: a policy is looked at only when its default
// version or update date differs from ours, when it is new, or when we hold backfilled versions
// with unreliable create dates that IAM can correct.
import { setMaxListeners } from 'node:events';
import type { Logger } from '../core/logger.ts';
import type { IamPolicySummary, IamSource, IamVersionSummary } from '../core/iam.ts';
import type { NewVersion, PolicyState, PolicyStore, PollError, PollRunRow, PollRunStore, PollStatus } from '../core/stores.ts';
import type { JsonValue } from '../core/history.ts';
import { documentHash, versionNumber } from '../core/canonical.ts';
import { mapPool } from '../core/concurrency.ts';
import { LockLostError, type LockLease } from '../core/fence.ts';
import { pollErrorOf } from './poll-errors.ts';

export interface PollHooks {
  /** Called once per poll with every policy that got versions or a deprecation (change events). */
  policiesChanged?(policyIds: number[], signal?: AbortSignal): Promise<unknown>;
}

export interface IamPollResult {
  run: PollRunRow;
  policiesChanged: string[];
  versionsAdded: number;
  deprecated: string[];
}

/** More vanished policies than this (or this share of the live ones) in one poll is treated as a fault. */
const MAX_VANISHED = 25;
const MAX_VANISHED_SHARE = 0.05;

const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

export class IamPollService {
  constructor(
    private readonly deps: {
      iam: IamSource;
      policies: PolicyStore;
      runs: PollRunStore;
      log: Logger;
      concurrency: number;
      hooks?: PollHooks;
      now?: () => Date;
    },
  ) {}

  /**
   * `lease`: the poll lock's; checked before each write so a poll whose lock was lost stops
   * (status `lost-lock`) instead of writing beside the lock's next holder.
   */
  async poll(signal?: AbortSignal, onStart?: (run: PollRunRow) => void, lease?: LockLease): Promise<IamPollResult> {
    const { iam, policies, runs, log } = this.deps;
    const now = this.deps.now ?? (() => new Date());
    // Every in-flight SDK request listens on the poll's signal.
    if (signal) setMaxListeners(this.deps.concurrency * 2 + 10, signal);
    const run = await runs.start('iam');
    onStart?.(run);
    const callsAtStart = iam.apiCalls;
    const errors: PollError[] = [];
    const changed: string[] = [];
    const changedIds: number[] = [];
    const deprecated: string[] = [];
    let versionsAdded = 0;
    let seen = 0;
    let status: PollStatus = 'succeeded';
    try {
      const list = await iam.listPolicies(signal);
      seen = list.length;
      const states = new Map((await policies.loadStates()).map((s) => [s.name, s]));
      const work = list.filter((p) => needsWork(p, states.get(p.policyName)));
      const listed = new Set(list.map((p) => p.policyName));
      log.debug({ listed: list.length, toFetch: work.length }, 'iam poll: list done');

      await mapPool(work, this.deps.concurrency, async (summary) => {
        try {
          const r = await this.syncPolicy(summary, states.get(summary.policyName), errors, signal, lease);
          if (r.wrote) {
            changed.push(summary.policyName);
            changedIds.push(r.policyId);
          }
          versionsAdded += r.versionsAdded;
        } catch (err) {
          if (signal?.aborted || err instanceof LockLostError) throw err;
          errors.push(pollErrorOf(err, { policy: summary.policyName }));
          log.warn({ err, policy: summary.policyName }, 'iam poll: policy failed, will retry next poll');
        }
      }, signal);

      // A policy is deprecated when it left the list or turned non-attachable. Only judged on a
      // complete list (listPolicies throws rather than returning a partial one).
      const gone = [...states.values()].filter((s) => s.deprecatedAt === null && !listed.has(s.name));
      // "Turned non-attachable": only a change from attachable counts; a policy that never was
      // attachable is not retired.
      const nonAttachable = list.filter((p) => !p.isAttachable).map((p) => states.get(p.policyName))
        .filter((s): s is PolicyState => !!s && s.deprecatedAt === null && s.isAttachable);
      const live = [...states.values()].filter((s) => s.deprecatedAt === null).length;
      let toDeprecate = [...gone, ...nonAttachable];
      // AWS retires a handful of policies at a time. A list that drops many at once (an empty
      // answer, a wrong endpoint) is far more likely a fault than mass retirement: keep them live
      // and say so on the run.
      if (gone.length > 0 && (list.length === 0 || gone.length > Math.max(MAX_VANISHED, live * MAX_VANISHED_SHARE))) {
        errors.push({ code: 'SUSPICIOUS_LIST', message: `${gone.length} of ${live} live policies are missing from ListPolicies; not marking them deprecated` });
        log.error({ missing: gone.length, live }, 'iam poll: implausibly many policies vanished; deprecation skipped');
        toDeprecate = nonAttachable;
      }
      if (toDeprecate.length > 0) {
        await lease?.assertHeld();
        await policies.markDeprecated(toDeprecate.map((s) => s.id), now());
        deprecated.push(...toDeprecate.map((s) => s.name));
        changedIds.push(...toDeprecate.map((s) => s.id));
        log.info({ policies: deprecated }, 'iam poll: policies deprecated');
      }
      if (changedIds.length > 0 && this.deps.hooks?.policiesChanged) {
        await lease?.assertHeld();
        try {
          await this.deps.hooks.policiesChanged(changedIds, signal);
        } catch (err) {
          // Versions are stored; the next poll's reconcile computes the missing events.
          if (signal?.aborted) throw err;
          errors.push({ code: 'EVENTS_FAILED', message: 'computing change events failed; the next poll computes the missing ones' });
          log.error({ err }, 'iam poll: computing change events failed');
        }
      }
      if (errors.length > 0) status = 'partial';
    } catch (err) {
      if (err instanceof LockLostError) {
        status = 'lost-lock';
        log.error({ err }, 'iam poll stopped: its lock was lost');
      } else if (signal?.aborted) {
        status = 'interrupted';
        log.warn('iam poll interrupted by shutdown');
      } else {
        status = 'failed';
        log.error({ err }, 'iam poll failed');
      }
      errors.push(status === 'interrupted' ? { code: 'INTERRUPTED', message: 'the process shut down mid-poll; the next poll resumes' } : pollErrorOf(err));
    }
    const finished = await runs.finish(run.id, {
      status, apiCalls: iam.apiCalls - callsAtStart, policiesSeen: seen, policiesChanged: changed.length, versionsAdded, errors,
    });
    // finish() never overwrites a run the lock's next holder closed: the stored status is the true one.
    if (finished.status !== status) log.warn({ run: finished.id, status: finished.status, ours: status }, 'iam poll: the run was closed by another process');
    log.info({ run: finished.id, status: finished.status, apiCalls: finished.apiCalls, versionsAdded, errors: errors.length }, 'iam poll finished');
    return { run: finished, policiesChanged: changed, versionsAdded, deprecated };
  }

  private async syncPolicy(p: IamPolicySummary, state: PolicyState | undefined, errors: PollError[], signal?: AbortSignal, lease?: LockLease) {
    const { iam, policies } = this.deps;
    const meta = {
      name: p.policyName, arn: p.arn, path: p.path, awsPolicyId: p.policyId, description: p.description,
      awsCreatedAt: p.createDate, awsUpdatedAt: p.updateDate, defaultVersionId: p.defaultVersionId, isAttachable: p.isAttachable,
    };
    const needVersions = !state || state.defaultVersionId !== p.defaultVersionId || !sameTime(state.awsUpdatedAt, p.updateDate)
      || uncheckedDates(state) || !state.versionIds.has(p.defaultVersionId);
    if (!needVersions) {
      // Metadata only (policy id, path, attachable): no IAM call needed.
      await lease?.assertHeld();
      const r = await policies.write({ meta, source: 'iam', versions: [], deprecatedAt: p.isAttachable ? null : undefined });
      // Un-deprecation drops the deprecation event, so it counts as a change.
      return { wrote: state?.deprecatedAt !== null && p.isAttachable, versionsAdded: r.versionsAdded.length, policyId: r.policyId };
    }
    const summaries: IamVersionSummary[] = await iam.listPolicyVersions(p.arn, signal);
    const held = state?.versionIds ?? new Set<string>();
    const versions: NewVersion[] = [];
    let complete = true;
    for (const v of summaries.filter((s) => !held.has(s.versionId))) {
      try {
        const doc = await iam.getPolicyVersion(p.arn, v.versionId, signal);
        let parsed: JsonValue;
        try {
          parsed = JSON.parse(doc.documentText) as JsonValue;
        } catch (e) {
          throw Object.assign(new Error(`document is not valid JSON after URL-decoding: ${(e as Error).message}`), { code: 'INVALID_DOCUMENT' });
        }
        versions.push({
          versionId: v.versionId, versionNumber: versionNumber(v.versionId), document: parsed, documentHash: documentHash(parsed),
          awsCreatedAt: doc.createDate ?? v.createDate, createDateUnreliable: false,
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        complete = false;
        errors.push(pollErrorOf(err, { policy: p.policyName, versionId: v.versionId }));
        this.deps.log.warn({ err, policy: p.policyName, versionId: v.versionId }, 'iam poll: version failed, will retry next poll');
      }
    }
    const corrections = summaries
      .filter((s) => held.has(s.versionId) && s.createDate)
      .map((s) => ({ versionId: s.versionId, awsCreatedAt: s.createDate as Date }));
    await lease?.assertHeld();
    const r = await policies.write({
      meta, source: 'iam', versions, complete,
      defaultVersionId: summaries.some((s) => s.versionId === p.defaultVersionId) ? p.defaultVersionId : undefined,
      createDateCorrections: corrections,
      deprecatedAt: p.isAttachable ? null : undefined,
    });
    const undeprecated = state !== undefined && state.deprecatedAt !== null && p.isAttachable;
    return { wrote: r.versionsAdded.length > 0 || r.created || undeprecated || r.datesCorrected > 0, versionsAdded: r.versionsAdded.length, policyId: r.policyId };
  }
}

/** Backfilled dates IAM has not been asked about yet (asked once: IAM keeps only five versions). */
function uncheckedDates(s: PolicyState): boolean {
  return s.unreliableVersionIds.size > 0 && s.datesCheckedAt === null;
}

/** Whether a listed policy needs any work beyond what the list itself says. */
function needsWork(p: IamPolicySummary, s: PolicyState | undefined): boolean {
  if (!s) return true;
  return s.defaultVersionId !== p.defaultVersionId
    || !sameTime(s.awsUpdatedAt, p.updateDate)
    || s.awsPolicyId !== p.policyId
    || s.arn !== p.arn
    || s.path !== p.path
    || (s.deprecatedAt !== null && p.isAttachable)
    || s.isAttachable !== p.isAttachable
    || uncheckedDates(s)
    || !s.versionIds.has(p.defaultVersionId)
    || (p.description !== undefined && (p.description ?? null) !== s.description);
}
