// Store interfaces: services depend on these, src/db implements them with Prisma, unit tests may
// use in-memory fakes. Nothing here knows about Prisma.
import type { JsonValue } from './history.ts';
import type { DateSource, Observer } from './date-sources.ts';

export interface PolicyState {
  id: number;
  name: string;
  arn: string;
  path: string;
  awsPolicyId: string | null;
  description: string | null;
  defaultVersionId: string | null;
  awsCreatedAt: Date | null;
  awsUpdatedAt: Date | null;
  isAttachable: boolean;
  deprecatedAt: Date | null;
  /** Version ids we hold. */
  versionIds: Set<string>;
  /** Versions we hold whose AWS create date is marked unreliable (from a backfill). */
  unreliableVersionIds: Set<string>;
  /** The version we hold flagged default, if any. */
  storedDefaultVersionId: string | null;
  /** When IAM's version list was last read (null: never, or a backfill added versions since). */
  datesCheckedAt: Date | null;
}

export interface PolicyMeta {
  name: string;
  arn: string;
  path: string;
  awsPolicyId?: string | undefined;
  description?: string | undefined;
  awsCreatedAt?: Date | undefined;
  awsUpdatedAt?: Date | undefined;
  defaultVersionId?: string | undefined;
  isAttachable?: boolean | undefined;
}

export interface NewVersion {
  versionId: string;
  versionNumber: number;
  document: JsonValue;
  documentHash: string;
  awsCreatedAt: Date | undefined;
  createDateUnreliable: boolean;
  /** Where awsCreatedAt came from (an unreliable date is stored as 'copied' whatever this says). */
  createDateSource: DateSource;
  /** Another observer's first sighting of the version (IAMTrail's commit time), for detection latency. */
  observedBy?: { observer: Observer; at: Date } | undefined;
}

/** A create date for a version we may already hold; applied only over a weaker source's date. */
export interface DateCorrection {
  versionId: string;
  awsCreatedAt: Date;
  source: DateSource;
}

export interface PolicyWrite {
  meta: PolicyMeta;
  /** "iam" or "import:<label>"; recorded on new rows only. */
  source: string;
  versions: NewVersion[];
  /** The version AWS reports as default now; flags are moved to it. Undefined: leave flags. */
  defaultVersionId?: string | undefined;
  /** Create dates for versions we already hold; each wins only over a weaker source's date. */
  createDateCorrections?: DateCorrection[];
  /** Record our own first sighting of the versions added (a live IAM poll: detection latency). */
  observe?: boolean;
  /** null clears a deprecation (policy is back in the list), undefined leaves it. */
  deprecatedAt?: Date | null | undefined;
  /**
   * Only for IAM: when false the stored default/update date are left as they were so the next
   * poll looks at the policy again (some version failed to fetch).
   */
  complete?: boolean;
}

export interface WriteResult {
  policyId: number;
  created: boolean;
  versionsAdded: string[];
  /** Stored create dates a stronger source replaced or un-flagged (events move on the time axis). */
  datesCorrected: number;
  /** The observed_at of the versions added (the writing transaction's time), where known. */
  observedAt?: Date;
}

export interface PolicyListQuery {
  search?: string | undefined;
  deprecated?: boolean | undefined;
  after?: string | undefined;
  limit: number;
}

export interface PolicySummaryRow {
  name: string;
  arn: string;
  path: string;
  awsPolicyId: string | null;
  defaultVersionId: string | null;
  versionCount: number;
  awsCreatedAt: Date | null;
  awsUpdatedAt: Date | null;
  isAttachable: boolean;
  firstSeenAt: Date;
  deprecatedAt: Date | null;
  source: string;
}

export interface VersionRow {
  versionId: string;
  versionNumber: number;
  documentHash: string;
  awsCreatedAt: Date | null;
  createDateUnreliable: boolean;
  createDateSource: string;
  observedAt: Date;
  source: string;
  isDefault: boolean;
  observedDefaultAt: Date | null;
}

export interface VersionWithDocument extends VersionRow {
  document: JsonValue;
}

export interface PolicyStore {
  loadStates(): Promise<PolicyState[]>;
  /** Writes one policy's changes in one transaction; idempotent. */
  write(w: PolicyWrite): Promise<WriteResult>;
  /** Writes many policies in one transaction (bulk import). */
  writeMany(ws: PolicyWrite[]): Promise<WriteResult[]>;
  /** Marks the policies not deprecated yet; returns how many it marked. */
  markDeprecated(policyIds: number[], at: Date): Promise<number>;
  list(q: PolicyListQuery): Promise<{ items: PolicySummaryRow[]; total: number }>;
  get(name: string): Promise<(PolicySummaryRow & { description: string | null; versions: VersionRow[] }) | null>;
  getVersion(name: string, versionId: string): Promise<VersionWithDocument | null>;
  count(): Promise<{ policies: number; versions: number }>;
  /** Detection latency (observedAt - AWS create date) per observer, over versions created after the observer's first sighting. */
  detectionStats(): Promise<DetectionStatsRow[]>;
}

export interface DetectionStatsRow {
  observer: Observer;
  versions: number;
  medianMs: number | null;
  p90Ms: number | null;
  maxMs: number | null;
  /** The observer's first sighting: versions created before it are not detections. */
  watchingSince: Date | null;
}

/** The last commit of a git history imported completely, per repository (see the git reader). */
export interface ImportCursorStore {
  get(key: string): Promise<string | null>;
  set(key: string, commit: string): Promise<void>;
}

/**
 * `abandoned`: closed by the lock's next holder (its process died); `lost-lock`: stopped itself on
 * finding its lock's session gone; `interrupted`: stopped by a shutdown (SIGTERM); `skipped`: the
 * source could not run at all (no AWS credentials), nothing was attempted.
 */
export type PollStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'abandoned' | 'lost-lock' | 'interrupted' | 'skipped';

export interface PollError {
  policy?: string | undefined;
  versionId?: string | undefined;
  feed?: string | undefined;
  code: string;
  message: string;
}

export interface PollRunRow {
  id: string;
  source: string;
  startedAt: Date;
  finishedAt: Date | null;
  status: PollStatus;
  apiCalls: number;
  policiesSeen: number;
  policiesChanged: number;
  versionsAdded: number;
  datesCorrected: number;
  errors: PollError[];
}

export interface PollRunStore {
  start(source: string): Promise<PollRunRow>;
  /**
   * Closes a run that is still `running` and returns it. A run already closed by someone else
   * (abandoned by the lock's next holder) is left as it is and returned unchanged: only the
   * process that still owns the run can set its outcome.
   */
  finish(
    id: string,
    r: { status: PollStatus; apiCalls: number; policiesSeen: number; policiesChanged: number; versionsAdded: number; datesCorrected?: number; errors: PollError[] },
  ): Promise<PollRunRow>;
  /** Runs left 'running' by a process that died; only the lock holder calls this. */
  abandonRunning(source: string): Promise<number>;
  list(q: { source?: string | undefined; beforeId?: string | undefined; limit: number }): Promise<PollRunRow[]>;
  get(id: string): Promise<PollRunRow | null>;
}
