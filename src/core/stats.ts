// Aggregate reads for the dashboard and /metrics: counts, histograms and lists computed by the
// database at the moment they are asked for, so every process (API, separate worker) reports the
// same figures. Pure types and the store interface.
import type { ChangeFilter, EventKind } from './events.ts';

/** Poll runs of one source and final status (running runs have no status yet: counted apart). */
export interface PollRunTotals {
  source: string;
  status: string;
  runs: number;
  apiCalls: number;
  /** Errors recorded on those runs (per policy, version or feed). */
  errors: number;
  lastFinishedAt: Date | null;
}

/** A histogram computed in SQL: cumulative counts per upper bound (le), plus sum and count. */
export interface HistogramData {
  /** Same length as the bounds asked for; cumulative. */
  buckets: number[];
  sum: number;
  count: number;
}

/** The change feed's filters, without paging. */
export type WeeklyChangeFilter = Pick<ChangeFilter, 'policyLike' | 'service' | 'actionKey' | 'accessLevel' | 'flag' | 'kinds' | 'since' | 'until'>;

export interface WeeklyCount {
  /** Monday 00:00 UTC of the ISO week. */
  week: Date;
  kind: EventKind;
  count: number;
}

export interface LifecyclePolicy {
  name: string;
  arn: string;
  awsCreatedAt: Date | null;
  firstSeenAt: Date;
  deprecatedAt: Date | null;
  versionCount: number;
  source: string;
}

export interface DetectedVersion {
  policy: string;
  versionId: string;
  awsCreatedAt: Date;
  observedAt: Date;
  latencySeconds: number;
}

/** A change event without its diff: enough for a version timeline. */
export interface EventSummary {
  id: string;
  kind: EventKind;
  toVersionId: string | null;
  toVersionNumber: number | null;
  broadened: boolean;
  narrowed: boolean;
}

export interface StatsStore {
  pollRunTotals(): Promise<PollRunTotals[]>;
  /** Durations (finished − started, seconds) of finished runs per source. */
  pollDurations(bounds: readonly number[]): Promise<Map<string, HistogramData>>;
  /** Stored versions by origin: "iam" or "import". */
  versionCounts(): Promise<{ origin: string; count: number }[]>;
  eventCounts(): Promise<{ kind: string; count: number }[]>;
  /**
   * Detection latency (observed − AWS create date, seconds) of versions an IAM poll found after
   * the first IAM poll finished; the first poll backfills history, whose age is no latency.
   */
  detectionLatency(bounds: readonly number[]): Promise<HistogramData>;
  /** The versions counted by detectionLatency, newest first. */
  recentDetections(limit: number): Promise<DetectedVersion[]>;
  /** Change events per ISO week (UTC) and kind. */
  weeklyChanges(f: WeeklyChangeFilter): Promise<WeeklyCount[]>;
  /** Every event of a policy, without diffs, newest version first. */
  policyEvents(policyName: string): Promise<EventSummary[]>;
  /** Policies by AWS create date (else first seen), newest first. */
  newestPolicies(limit: number): Promise<LifecyclePolicy[]>;
  /** Deprecated policies, most recently deprecated first. */
  deprecatedPolicies(limit: number): Promise<LifecyclePolicy[]>;
}
