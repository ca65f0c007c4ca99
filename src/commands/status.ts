// `policywatch status [--check]`: what the database says — the last runs, counts and each
// source's state — without starting a server, migrating or polling. --check exits 1 when the
// service would not be ready (the worker's container health probe).
import type { Services } from '../container.ts';
import type { PollRunRow } from '../core/stores.ts';
import type { SourceName, SourceStatus } from '../services/readiness-service.ts';

export interface StatusReport {
  version: string;
  /** unreachable: the database did not answer (the report then says nothing else). */
  database: { kind: string; state: 'ok' | 'unreachable'; pendingMigrations: string[] };
  counts: { policies: number; versions: number } | null;
  sources: Record<SourceName, SourceStatus> | null;
  lastRuns: PollRunRow[];
  ready: boolean;
}

const LAST_RUNS = 10;

export async function statusReport(services: Services, o: { version: string; pendingMigrations: string[] }): Promise<StatusReport> {
  const database = { kind: services.db.kind, state: 'ok' as const, pendingMigrations: o.pendingMigrations };
  // A database whose schema is behind this code cannot answer the rest truthfully.
  if (o.pendingMigrations.length > 0) return { version: o.version, database, counts: null, sources: null, lastRuns: [], ready: false };
  const [counts, sources, lastRuns] = await Promise.all([
    services.policies.count(),
    services.readiness.sources(),
    services.stores.pollRuns.list({ limit: LAST_RUNS }),
  ]);
  return { version: o.version, database, counts, sources, lastRuns, ready: Object.values(sources).every((s) => s.ready) };
}
