// Backfill: stores imported history (dataset or IAMTrail layout) through the same idempotent
// write path as the IAM poll, in batches so a full dataset import stays within seconds.
import type { Logger } from '../core/logger.ts';
import type { ImportedPolicy } from '../core/history.ts';
import type { PolicyStore, PolicyWrite } from '../core/stores.ts';
import type { GrantingVersion, PoliciesChangedOptions } from './event-service.ts';
import { documentHash, versionNumber } from '../core/canonical.ts';
import { markUnreliableDates } from '../sources/import/versions.ts';

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
}

/** What the import tells the change-event side (see EventService). */
export interface ImportEvents {
  /** First-seen grants of the versions a batch added, while their documents are in memory. */
  versionsStored(stored: { policyId: number; versions: GrantingVersion[] }[]): Promise<void>;
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
  async import(label: string, policies: AsyncIterable<ImportedPolicy>, signal?: AbortSignal): Promise<ImportSummary> {
    const source = label.startsWith('import:') ? label : `import:${label}`;
    const batchSize = this.deps.batchSize ?? 100;
    const events = this.deps.events;
    const summary: ImportSummary = { source, policiesRead: 0, policiesCreated: 0, versionsRead: 0, versionsAdded: 0, unreliableDates: 0, missingEventsComputed: 0 };
    const touched: number[] = [];
    const write = async (batch: PolicyWrite[]) => {
      const results = await this.deps.policies.writeMany(batch);
      const stored: { policyId: number; versions: GrantingVersion[] }[] = [];
      results.forEach((r, i) => {
        summary.versionsAdded += r.versionsAdded.length;
        if (r.created) summary.policiesCreated++;
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
      await events?.versionsStored(stored);
    };
    // One batch is written while the next is read and hashed.
    let batch: PolicyWrite[] = [];
    let writing: Promise<void> | undefined;
    const flush = async () => {
      await writing;
      writing = undefined;
      if (batch.length === 0) return;
      const b = batch;
      batch = [];
      writing = write(b);
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
          })),
          // A backfill only names a default when we have none from IAM (the store keeps IAM's).
          defaultVersionId: undefined,
        });
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      await writing;
    } finally {
      await writing?.catch(() => {}); // never leave a write running behind a failure
    }
    await events?.policiesChanged(touched, signal, { firstSeenRecorded: true });
    // Versions of policies this run found already stored are not `touched`: any a killed run left
    // without events are found and computed here, so success means complete.
    if (events) summary.missingEventsComputed = (await events.reconcile(signal)).written;
    this.deps.log.info(summary, 'import finished');
    return summary;
  }
}
