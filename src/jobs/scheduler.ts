// Runs jobs on node-cron schedules. One active runner per job across every process: each run
// holds a Postgres advisory lock (PGlite: an in-process mutex), so replicas simply skip a tick
// that another replica is serving. Within a process a run never overlaps the previous one.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../core/logger.ts';
import type { Services } from '../container.ts';
import { ConflictError } from '../core/errors.ts';
import type { JobHelpers } from './jobs.ts';

export interface JobDef<R = unknown> {
  name: string;
  cron: string;
  lock: bigint;
  /** Poll-run source whose 'running' rows a dead process may have left behind. */
  runSource?: string;
  run: (h: JobHelpers) => Promise<R>;
}

export class JobBusyError extends ConflictError {
  constructor(name: string) {
    super('JOB_BUSY', `a ${name} run is already in progress`);
  }
}

export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly o: { services: Services; log: Logger; jobs: JobDef[] }) {}

  start(): void {
    // The app starts the schedules once seeding ends, which can be after a shutdown began:
    // scheduling then would leave cron timers running on a stopped scheduler.
    if (this.stopped || this.tasks.length > 0) return;
    for (const job of this.o.jobs) {
      const task = cron.schedule(job.cron, () => {
        this.runNow(job.name).catch((err: unknown) => {
          if (err instanceof JobBusyError) this.o.log.debug({ job: job.name }, 'tick skipped: previous run still going');
          else this.o.log.error({ err, job: job.name }, 'scheduled job failed');
        });
      }, { name: `policywatch-${job.name}` });
      this.tasks.push(task);
      this.o.log.info({ job: job.name, cron: job.cron }, 'job scheduled');
    }
  }

  /**
   * Runs a job now under its lock. Resolves { ran: false } when another process holds the lock;
   * throws JobBusyError when this process is already running it.
   */
  async runNow<R>(name: string, run?: (h: JobHelpers) => Promise<R>): Promise<{ ran: true; result: R } | { ran: false }> {
    const job = this.o.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`unknown job ${name}`);
    if (this.stopped) return { ran: false };
    if (this.inflight.has(name)) throw new JobBusyError(name);
    const log = this.o.log.child({ job: name });
    const p = this.o.services.db.tryWithLock(job.lock, async (lease) => {
      // Holding the lock proves no other live process is mid-run: rows still 'running' are
      // from a process that died (SIGKILL, OOM) and are closed as abandoned.
      if (job.runSource) {
        const n = await this.o.services.stores.pollRuns.abandonRunning(job.runSource);
        if (n > 0) log.warn({ abandoned: n }, 'closed poll runs left running by a dead process');
      }
      return (run ?? job.run)({ services: this.o.services, log, signal: this.abort.signal, lease }) as Promise<R>;
    });
    this.inflight.set(name, p);
    try {
      const r = await p;
      if (!r.acquired) log.debug('another process holds the lock; skipping');
      return r.acquired ? { ran: true, result: r.result } : { ran: false };
    } finally {
      this.inflight.delete(name);
    }
  }

  isRunning(name: string): boolean {
    return this.inflight.has(name);
  }

  /** Stops scheduling, aborts in-flight runs and waits for them to wind down. */
  async stop(): Promise<void> {
    this.stopped = true;
    // destroy, not stop: node-cron keeps every task in a process-wide registry until destroyed.
    for (const t of this.tasks) await t.destroy();
    this.abort.abort(new Error('shutting down'));
    await Promise.allSettled([...this.inflight.values()]);
  }
}
