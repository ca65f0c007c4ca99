// Read side of policies and poll runs for the API and CLI.
import { NotFoundError } from '../core/errors.ts';
import type { DetectionStatsRow, PolicyStore, PollRunStore } from '../core/stores.ts';
import { OBSERVERS } from '../core/date-sources.ts';

export class PolicyService {
  constructor(private readonly deps: { policies: PolicyStore; runs: PollRunStore }) {}

  list(q: { search?: string | undefined; deprecated?: boolean | undefined; after?: string | undefined; limit: number }) {
    return this.deps.policies.list(q);
  }

  async get(name: string) {
    const p = await this.deps.policies.get(name);
    if (!p) throw new NotFoundError(`policy "${name}"`, { policy: name });
    return p;
  }

  async getVersion(name: string, versionId: string) {
    const v = await this.deps.policies.getVersion(name, versionId);
    if (v) return v;
    await this.get(name); // distinguishes unknown policy from unknown version
    throw new NotFoundError(`version "${versionId}" of policy "${name}"`, { policy: name, versionId });
  }

  count() {
    return this.deps.policies.count();
  }

  /** Detection latency per observer (every observer listed, empty ones with nulls) and our median over IAMTrail's. */
  async detectionStats() {
    const rows = await this.deps.policies.detectionStats();
    const sources: DetectionStatsRow[] = OBSERVERS.map((observer) => rows.find((r) => r.observer === observer)
      ?? { observer, versions: 0, medianMs: null, p90Ms: null, maxMs: null, watchingSince: null });
    const [theirs, ours] = [sources.find((r) => r.observer === 'iamtrail')?.medianMs, sources.find((r) => r.observer === 'policywatch')?.medianMs];
    return { sources, medianRatio: theirs && ours !== null && ours !== undefined ? ours / theirs : null };
  }

  listRuns(q: { source?: string | undefined; beforeId?: string | undefined; limit: number }) {
    return this.deps.runs.list(q);
  }

  async getRun(id: string) {
    const r = /^\d{1,18}$/.test(id) ? await this.deps.runs.get(id) : null;
    if (!r) throw new NotFoundError(`poll run "${id}"`);
    return r;
  }
}
