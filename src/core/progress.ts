// Progress of a long job (an import, the first-start seed, a backfill): policies and versions
// done, rate and ETA. The job only counts; sinks decide where it shows (log lines, a terminal
// bar, /readyz) and each is called at most once per its own interval, plus once at the end.
import type { Logger } from './logger.ts';

/** Storing policies and their versions, then computing their change events. */
export type ProgressPhase = 'versions' | 'events';

export interface ProgressSnapshot {
  task: string;
  phase: ProgressPhase;
  /** Policies done in this phase, and how many there are when the source says. */
  policiesDone: number;
  policiesTotal: number | undefined;
  /** Versions stored so far. */
  versionsDone: number;
  elapsedSeconds: number;
  /** Policies per second in this phase. */
  rate: number;
  /** Seconds left in this phase, when the total is known and work has started. */
  etaSeconds: number | undefined;
  done: boolean;
}

export interface ProgressSink {
  /** Least time between two reports to this sink (the final report always goes out). */
  intervalMs: number;
  report(s: ProgressSnapshot): void;
}

export class Progress {
  private phaseName: ProgressPhase = 'versions';
  private total: number | undefined;
  private policies = 0;
  private versions = 0;
  private readonly startedAt: number;
  private phaseStartedAt: number;
  private finished = false;
  private readonly lastReport: number[];

  constructor(readonly task: string, private readonly sinks: readonly ProgressSink[], private readonly now: () => number = () => performance.now()) {
    this.startedAt = now();
    this.phaseStartedAt = this.startedAt;
    // The first report waits one interval: a job shorter than that shows only its final line.
    this.lastReport = sinks.map(() => this.startedAt);
  }

  /** The number of policies the current phase will handle, once known. */
  setTotal(policies: number): void {
    this.total = policies;
  }

  startPhase(phase: ProgressPhase, total: number | undefined): void {
    this.phaseName = phase;
    this.total = total;
    this.policies = 0;
    this.phaseStartedAt = this.now();
  }

  advance(policies: number, versions = 0): void {
    this.policies += policies;
    this.versions += versions;
    this.emit(false);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.emit(true);
  }

  snapshot(): ProgressSnapshot {
    const t = this.now();
    const phaseSeconds = (t - this.phaseStartedAt) / 1000;
    const rate = phaseSeconds > 0 ? this.policies / phaseSeconds : 0;
    const left = this.total !== undefined ? Math.max(0, this.total - this.policies) : undefined;
    return {
      task: this.task,
      phase: this.phaseName,
      policiesDone: this.policies,
      policiesTotal: this.total,
      versionsDone: this.versions,
      elapsedSeconds: round1((t - this.startedAt) / 1000),
      rate: round1(rate),
      etaSeconds: left === undefined ? undefined : left === 0 ? 0 : rate > 0 ? Math.ceil(left / rate) : undefined,
      done: this.finished,
    };
  }

  private emit(final: boolean): void {
    const t = this.now();
    let snap: ProgressSnapshot | undefined;
    this.sinks.forEach((sink, i) => {
      if (!final && t - (this.lastReport[i] as number) < sink.intervalMs) return;
      this.lastReport[i] = t;
      snap ??= this.snapshot();
      sink.report(snap);
    });
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** One line per report, e.g. "seed: versions 812/1594 policies, 3120 versions, 210/s, ETA 4 s". */
export function describeProgress(s: ProgressSnapshot): string {
  const of = s.policiesTotal !== undefined ? `${s.policiesDone}/${s.policiesTotal}` : `${s.policiesDone}`;
  const eta = s.done ? 'done' : s.etaSeconds !== undefined ? `ETA ${s.etaSeconds} s` : 'ETA unknown';
  return `${s.task}: ${s.phase} ${of} policies, ${s.versionsDone} versions, ${s.rate}/s, ${eta}`;
}

/** Progress as info log lines, at most one every 2 s. */
export function logProgress(log: Logger, intervalMs = 2000): ProgressSink {
  return {
    intervalMs,
    report: (s) => log.info({ progress: s }, describeProgress(s)),
  };
}
