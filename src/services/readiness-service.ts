// Each poll source's state for /readyz and `policywatch status`, judged from the recorded poll
// runs (so every process — API, worker, CLI — tells the same story):
//   disabled            switched off (POLICYWATCH_*_CRON=off), or its last run was skipped (no AWS credentials)
//   pending             enabled, no run finished yet
//   ok                  the last finished run succeeded (or partly succeeded)
//   failing since <t>   the last run(s) failed; <t> is when the first of them started
//   stale               no successful run within the maximum age
// An enabled source is not ready once it is stale: a run that failed once does not take the API
// out of a load balancer, a source that has not worked for the maximum age does.
import type { PollRunRow, PollRunStore, PollStatus } from '../core/stores.ts';

export const SOURCES = ['iam', 'rss'] as const;
export type SourceName = (typeof SOURCES)[number];

/** Stable, machine-readable reason beside the human state. */
export type SourceReason = 'ok' | 'pending' | 'failing' | 'stale' | 'switched-off' | 'no-credentials';

export interface SourceStatus {
  /** ok, pending, stale, disabled, or "failing since <ISO time>". */
  state: string;
  reason: SourceReason;
  enabled: boolean;
  /** False only for an enabled source that is stale. */
  ready: boolean;
  lastRunAt: string | null;
  lastStatus: PollStatus | null;
  lastSuccessAt: string | null;
  /** Seconds since the last success (or, never having succeeded, since failures began). */
  ageSeconds: number | null;
  maxAgeSeconds: number;
}

const SUCCESS: readonly PollStatus[] = ['succeeded', 'partial'];

/** Pure: one source's status from its recent runs (newest first). */
export function judgeSource(i: { enabled: boolean; runs: readonly PollRunRow[]; maxAgeSeconds: number; now: Date }): SourceStatus {
  const finished = i.runs.filter((r) => r.status !== 'running');
  const latest = finished[0];
  const base = {
    lastRunAt: latest ? (latest.finishedAt ?? latest.startedAt).toISOString() : null,
    lastStatus: latest?.status ?? null,
    maxAgeSeconds: i.maxAgeSeconds,
  };
  const lastSuccess = finished.find((r) => SUCCESS.includes(r.status));
  const lastSuccessAt = lastSuccess ? (lastSuccess.finishedAt ?? lastSuccess.startedAt) : null;
  const off = (reason: SourceReason): SourceStatus => ({
    state: 'disabled', reason, enabled: false, ready: true, ...base, lastSuccessAt: lastSuccessAt?.toISOString() ?? null, ageSeconds: null,
  });
  if (!i.enabled) return off('switched-off');
  if (latest?.status === 'skipped') return off('no-credentials');

  // Failing only while the latest run failed: since the oldest failure after the last success,
  // ignoring runs that prove nothing (a process died, lost its lock, stopped or was skipped).
  let failingSince: Date | null = null;
  if (latest?.status === 'failed') {
    for (const r of finished) {
      if (SUCCESS.includes(r.status)) break;
      if (r.status === 'failed') failingSince = r.startedAt;
    }
  }
  const since = lastSuccessAt ?? failingSince;
  const ageSeconds = since ? Math.max(0, Math.round((i.now.getTime() - since.getTime()) / 1000)) : null;
  const stale = i.maxAgeSeconds > 0 && ageSeconds !== null && ageSeconds > i.maxAgeSeconds;
  const state = failingSince ? `failing since ${failingSince.toISOString()}` : stale ? 'stale' : lastSuccess ? 'ok' : 'pending';
  const reason: SourceReason = failingSince ? (stale ? 'stale' : 'failing') : stale ? 'stale' : lastSuccess ? 'ok' : 'pending';
  return { state, reason, enabled: true, ready: !stale, ...base, lastSuccessAt: lastSuccessAt?.toISOString() ?? null, ageSeconds };
}

/** Enough history to find when a run of failures began, bounded so the check stays cheap. */
const RUNS_LOOKED_AT = 50;

export class ReadinessService {
  constructor(private readonly deps: {
    runs: PollRunStore;
    /** Whether each source is switched on (its cron setting is not "off"). */
    enabled: Record<SourceName, boolean>;
    maxAgeSeconds: number;
    now?: () => Date;
  }) {}

  async sources(): Promise<Record<SourceName, SourceStatus>> {
    const now = this.deps.now?.() ?? new Date();
    const judged = await Promise.all(SOURCES.map(async (name) => {
      const runs = await this.deps.runs.list({ source: name, limit: RUNS_LOOKED_AT });
      return [name, judgeSource({ enabled: this.deps.enabled[name], runs, maxAgeSeconds: this.deps.maxAgeSeconds, now })] as const;
    }));
    return Object.fromEntries(judged) as Record<SourceName, SourceStatus>;
  }
}
