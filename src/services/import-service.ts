// Backfill: stores imported history (dataset or IAMTrail layout) through the same idempotent
// write path as the IAM poll, in batches so a full dataset import stays within seconds.
import type { Logger } from '../core/logger.ts';
import type { ImportedPolicy } from '../core/history.ts';
import type { PolicyStore, PolicyWrite } from '../core/stores.ts';
import { documentHash, versionNumber } from '../core/canonical.ts';
import { markUnreliableDates } from '../sources/import/versions.ts';

export interface ImportSummary {
  source: string;
  policiesRead: number;
  policiesCreated: number;
  versionsRead: number;
  versionsAdded: number;
  unreliableDates: number;
}

export class ImportService {
  constructor(
    private readonly deps: {
      policies: PolicyStore;
      log: Logger;
      batchSize?: number;
      /** Change events for every policy that got versions (computed at ingest, import alike). */
      policiesChanged?: (policyIds: number[], signal?: AbortSignal) => Promise<unknown>;
    },
  ) {}

  /** `label` is recorded as the source of every row: "import:<label>". */
  async import(label: string, policies: AsyncIterable<ImportedPolicy>, signal?: AbortSignal): Promise<ImportSummary> {
    const source = label.startsWith('import:') ? label : `import:${label}`;
    const batchSize = this.deps.batchSize ?? 200;
    const summary: ImportSummary = { source, policiesRead: 0, policiesCreated: 0, versionsRead: 0, versionsAdded: 0, unreliableDates: 0 };
    let batch: PolicyWrite[] = [];
    const touched: number[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const results = await this.deps.policies.writeMany(batch);
      batch = [];
      for (const r of results) {
        summary.versionsAdded += r.versionsAdded.length;
        if (r.created) summary.policiesCreated++;
        if (r.versionsAdded.length > 0) touched.push(r.policyId);
      }
    };
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
    await this.deps.policiesChanged?.(touched, signal);
    this.deps.log.info(summary, 'import finished');
    return summary;
  }
}
