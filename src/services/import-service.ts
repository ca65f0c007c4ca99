// Backfill: stores imported history (dataset or IAMTrail layout) through the same idempotent
// write path as the IAM poll, in batches so a full dataset import stays within seconds.
import type { Logger } from '../core/logger.ts';
import type { ImportedPolicy } from '../core/history.ts';
import type { PolicyStore, PolicyWrite } from '../core/stores.ts';
import type { Progress } from '../core/progress.ts';
import type { FirstSeenBuffer, GrantingVersion, PoliciesChangedOptions } from './event-service.ts';
import { documentHash, versionNumber } from '../core/canonical.ts';
import { markUnreliableDates } from '../sources/import/versions.ts';
import type { DateSource } from '../core/date-sources.ts';

export interface ImportSummary {
  source: string;
  policiesRead: number;
  policiesCreated: number;
  versionsRead: number;
  versionsAdded: number;
  unreliableDates: number;
  /**
   * Change events computed for versions an earlier, interrupted run stored without them (a
   * SIGKILL between its writes and its event pass); the import reports success only after.
   */
  missingEventsComputed: number;
  /** Stored create dates this import's better ones replaced (events moved in place). */
  datesCorrected: number;
  /** Policies this import marked deprecated (they were not already). */
  policiesDeprecated: number;
}

export interface ImportOptions {
  /** How far the source's create dates are trusted (src/core/date-sources.ts); default 'dataset'. */
  dateSource?: DateSource;
  /** Counts, rate and ETA for logs, the CLI's bar and /readyz (src/core/progress.ts). */
  progress?: Progress | undefined;
}

/** What the import tells the change-event side (see EventService). */
export interface ImportEvents {
  /**
   * Collects the first-seen grants of the versions each batch added, while their documents are in
   * memory; flushed once before the events are computed.
   */
  firstSeen(): FirstSeenBuffer;
  /** Change events for every policy that got versions (computed at ingest, import alike). */
  policiesChanged(policyIds: number[], signal?: AbortSignal, opts?: PoliciesChangedOptions): Promise<unknown>;
  /** Computes the events of every stored version or deprecation that has none. */
  reconcile(signal?: AbortSignal): Promise<{ written: number }>;
}

export class ImportService {
  constructor(
    private readonly deps: {
      policies: PolicyStore;
      log: Logger;
      batchSize?: number;
      events?: ImportEvents;
    },
  ) {}

  /** `label` is recorded as the source of every row: "import:<label>". */
  async import(label: string, policies: AsyncIterable<ImportedPolicy>, signal?: AbortSignal, opts: ImportOptions = {}): Promise<ImportSummary> {
    const progress = opts.progress;
    const source = label.startsWith('import:') ? label : `import:${label}`;
    const dateSource = opts.dateSource ?? 'dataset';
    const batchSize = this.deps.batchSize ?? 100;
    const events = this.deps.events;
    const summary: ImportSummary = {
      source, policiesRead: 0, policiesCreated: 0, versionsRead: 0, versionsAdded: 0, unreliableDates: 0, datesCorrected: 0, policiesDeprecated: 0, missingEventsComputed: 0,
    };
    const touched: number[] = [];
    // Deprecations the source recorded, grouped by date (ms): policy ids.
    const retiredAt = new Map<number, number[]>();
    // A run killed before the flush leaves versions without first-seen rows or events: the next
    // run's reconcile computes both for them (EventService.policiesChanged without firstSeenRecorded).
    const firstSeen = events?.firstSeen();
    const write = async (batch: PolicyWrite[], retired: (Date | undefined)[]) => {
      const results = await this.deps.policies.writeMany(batch);
      const stored: { policyId: number; versions: GrantingVersion[] }[] = [];
      results.forEach((r, i) => {
        summary.versionsAdded += r.versionsAdded.length;
        summary.datesCorrected += r.datesCorrected;
        if (r.created) summary.policiesCreated++;
        const at = retired[i];
        if (at) {
          const ids = retiredAt.get(at.getTime());
          if (ids) ids.push(r.policyId);
          else retiredAt.set(at.getTime(), [r.policyId]);
        }
        if (r.datesCorrected > 0) touched.push(r.policyId);
        if (r.versionsAdded.length === 0) return;
        touched.push(r.policyId);
        const added = new Set(r.versionsAdded);
        const observed = (r.observedAt ?? new Date()).getTime();
        stored.push({
          policyId: r.policyId,
          versions: (batch[i]?.versions ?? []).filter((v) => added.has(v.versionId))
            .map((v) => ({ versionId: v.versionId, document: v.document, at: v.awsCreatedAt?.getTime() ?? observed })),
        });
      });
      await firstSeen?.add(stored);
      progress?.advance(batch.length, results.reduce((n, r) => n + r.versionsAdded.length, 0));
    };
    // One batch is written while the next is read and hashed.
    let batch: PolicyWrite[] = [];
    let retired: (Date | undefined)[] = [];
    let writing: Promise<void> | undefined;
    const flush = async () => {
      await writing;
      writing = undefined;
      if (batch.length === 0) return;
      const [b, d] = [batch, retired];
      batch = [];
      retired = [];
      writing = write(b, d);
      writing.catch(() => {}); // awaited at the next flush; this only marks it handled meanwhile
    };
    try {
      for await (const p of policies) {
        signal?.throwIfAborted();
        summary.policiesRead++;
        summary.versionsRead += p.versions.length;
        const unreliable = markUnreliableDates(p.versions);
        summary.unreliableDates += unreliable.filter(Boolean).length;
        batch.push({
          source,
          meta: {
            name: p.name, arn: p.arn, path: p.path, awsCreatedAt: p.createDate, awsUpdatedAt: p.updateDate,
            defaultVersionId: p.defaultVersionId,
          },
          versions: p.versions.map((v, i) => ({
            versionId: v.versionId, versionNumber: versionNumber(v.versionId), document: v.document,
            documentHash: documentHash(v.document), awsCreatedAt: v.createDate, createDateUnreliable: unreliable[i] ?? false,
            createDateSource: dateSource, observedBy: v.observedBy,
          })),
          // A backfill only names a default when we have none from IAM (the store keeps IAM's).
          defaultVersionId: undefined,
        });
        retired.push(p.deprecatedAt);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      await writing;
    } finally {
      await writing?.catch(() => {}); // never leave a write running behind a failure
    }
    // Deprecations the source recorded, each at its own date (one that IAM or an earlier import
    // recorded stays).
    for (const [t, ids] of retiredAt) {
      const n = await this.deps.policies.markDeprecated(ids, new Date(t));
      summary.policiesDeprecated += n;
      if (n > 0) touched.push(...ids);
    }
    // Corrected dates move events in place (same ids) and change first-seen times: no new event,
    // so nothing downstream treats a correction as a change.
    await firstSeen?.flush();
    progress?.startPhase('events', new Set(touched).size);
    await events?.policiesChanged(touched, signal, { firstSeenRecorded: true, datesMoved: summary.datesCorrected > 0, onProgress: (n) => progress?.advance(n) });
    // Versions of policies this run found already stored are not `touched`: any a killed run left
    // without events are found and computed here, so success means complete.
    if (events) summary.missingEventsComputed = (await events.reconcile(signal)).written;
    progress?.finish();
    this.deps.log.info(summary, 'import finished');
    return summary;
  }
}
