// The alert delivery queue on pg-boss: retries with exponential backoff, a dead-letter queue,
// jobs sent inside the event transaction, and SKIP LOCKED fetches so many processes share it.
// Postgres: pg-boss opens its own small pool (LISTEN/NOTIFY wakes workers at once). Embedded
// PGlite: pg-boss runs through its PGlite adapter (the `db` option) on the same instance.
import { PgBoss, fromPglite, type Db as IDatabase, type JobResult, type JobWithMetadata } from 'pg-boss';
import { RetryAfterError, type DeliveryJob, type DeliveryQueue, type Transaction } from '../core/alerts.ts';
import type { Logger } from '../core/logger.ts';
import type { Database } from './database.ts';
import { runnerOf } from './transaction.ts';

const DELIVERY_QUEUE = 'alert-delivery';
const DEAD_QUEUE = 'alert-delivery-dead';
/** Where pg-boss keeps its tables; every process installs or migrates it at start. */
/** Every pg-boss instance here: our schema; no cron scheduler, instance registry or tracing. */
const SCHEMA = { schema: 'pgboss', migrate: true, schedule: false, registerInstance: false, openTelemetry: { enabled: false } } as const;

export interface QueueOptions {
  /** Retries after the first attempt. */
  retryLimit: number;
  /** Seconds before the first retry, doubling (with jitter) after each; 0: retry at once. */
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
  /** Longest a send may take; an attempt active longer than twice this is presumed dead. */
  sendTimeoutMs: number;
  /** Sends in flight per process. */
  concurrency: number;
}

interface JobData {
  deliveryId: string;
  /** Attempts made by earlier jobs of the same delivery (a Retry-After continuation). */
  before?: number;
}

/** pg-boss's `db` adapter over one of our open transactions. */
function txDb(tx: Transaction): IDatabase {
  const sql = runnerOf(tx);
  return { executeSql: async (text, values) => ({ rows: await sql.query(text, values) }) };
}

/** An active job older than this went with its process (SIGKILL): pg-boss fails it and retries. */
const expireSecondsOf = (o: QueueOptions) => Math.max(2, Math.ceil((o.sendTimeoutMs * 2) / 1000));

export class PgBossDeliveryQueue implements DeliveryQueue {
  private started: Promise<void> | undefined;
  private constructor(private readonly boss: PgBoss, private readonly o: QueueOptions, private readonly log: Logger, private readonly expireInSeconds: number) {}

  /**
   * pg-boss's schema alone, no queues, on a new embedded database (the PGlite template,
   * make-pglite-template.ts): its install is ~0.8 s of CPU at a first start otherwise.
   */
  static async installSchema(db: Database): Promise<void> {
    if (!('pglite' in db.queueTarget)) throw new Error('the template is an embedded (PGlite) database');
    const boss = new PgBoss({ ...SCHEMA, supervise: false, db: fromPglite(db.queueTarget.pglite), backend: 'pglite' });
    await boss.start();
    await boss.stop({ graceful: false });
  }

  static create(db: Database, o: QueueOptions, log: Logger): PgBossDeliveryQueue {
    const expireInSeconds = expireSecondsOf(o);
    // Expiry is checked by the monitor pass: as often as half the expiry, so a dead process's
    // delivery moves on within about 1.5 × expireInSeconds.
    const supervise = Math.max(1, Math.min(60, Math.floor(expireInSeconds / 2)));
    const common = { ...SCHEMA, supervise: true, superviseIntervalSeconds: supervise, monitorIntervalSeconds: supervise } as const;
    const boss = 'pglite' in db.queueTarget
      ? new PgBoss({ ...common, db: fromPglite(db.queueTarget.pglite), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: db.queueTarget.connectionString, max: 4, useListenNotify: true });
    // pg-boss reports background failures as events; without a listener Node would throw them.
    boss.on('error', (err: Error) => log.warn({ err: { message: err.message } }, 'alert queue error'));
    return new PgBossDeliveryQueue(boss, o, log, expireInSeconds);
  }

  /** Installs pg-boss's schema and the two queues (idempotent; every process may do it). */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      const retry = {
        retryLimit: this.o.retryLimit, retryDelay: this.o.retryDelaySeconds, retryBackoff: this.o.retryDelaySeconds > 0,
        ...(this.o.retryDelaySeconds > 0 ? { retryDelayMax: this.o.retryDelayMaxSeconds } : {}),
        expireInSeconds: this.expireInSeconds,
      };
      await this.boss.createQueue(DEAD_QUEUE, { retryLimit: 0 });
      // singleton + singletonKey = delivery id: one delivery is never active twice at once, even
      // when a redelivery is queued while an attempt is in flight.
      await this.boss.createQueue(DELIVERY_QUEUE, { ...retry, policy: 'singleton', deadLetter: DEAD_QUEUE, notify: true });
      // Queue options live in the database, set by the first process ever: a changed setting
      // (say POLICYWATCH_ALERT_RETRY_DELAY) takes effect when a process starts with it. Every
      // process of one deployment should share the alert settings.
      const { retryDelayMax: _max, ...updatable } = retry as typeof retry & { retryDelayMax?: number };
      await this.boss.updateQueue(DELIVERY_QUEUE, updatable);
    })();
    return this.started;
  }

  private jobOf(j: DeliveryJob, data: JobData = { deliveryId: j.deliveryId }) {
    return { data, singletonKey: j.deliveryId, ...(j.startAfter ? { startAfter: j.startAfter } : {}) };
  }

  async sendInTransaction(tx: Transaction, jobs: DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    // Starting here could deadlock PGlite (one connection, held by tx): the app starts the queue
    // when it becomes ready, before any poll.
    if (!this.started) throw new Error('the alert queue is not started');
    await this.started;
    await this.boss.insert(DELIVERY_QUEUE, jobs.map((j) => this.jobOf(j)), { db: txDb(tx) });
  }

  async send(jobs: DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.start();
    await this.boss.insert(DELIVERY_QUEUE, jobs.map((j) => this.jobOf(j)));
  }

  async work(
    handle: (job: DeliveryJob & { attempt: number; lastAttempt: boolean }) => Promise<void>,
    onDead: (deliveryId: string, error: string) => Promise<void>,
  ): Promise<void> {
    await this.start();
    // NOTIFY wakes a worker for new jobs only; retries coming due are found by polling.
    const poll = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 1 };
    // Jobs come in batches, each job settled on its own (perJobResults); a full batch fetches the
    // next at once (burst), so a backlog drains at the concurrency, not one batch per poll. A batch
    // costs three statements whatever its size (fetch, the deliveries' read, completion), and a
    // worker waits for its batch's slowest send: two workers of half the concurrency each, so one
    // sends while the other settles and fetches, and no more than the setting is ever in flight.
    const localConcurrency = this.o.concurrency >= 2 ? 2 : 1;
    const batchSize = Math.floor(this.o.concurrency / localConcurrency);
    const work = { ...poll, includeMetadata: true, perJobResults: true, burstWhenBatchFull: true, batchSize, localConcurrency } as const;
    await this.boss.work(DELIVERY_QUEUE, work, async (jobs: JobWithMetadata<JobData>[]) => Promise.all(jobs.map(async (job): Promise<JobResult> => {
      const before = job.data.before ?? 0;
      const attempt = before + job.retryCount + 1;
      const lastAttempt = job.retryCount >= job.retryLimit;
      try {
        await handle({ deliveryId: job.data.deliveryId, attempt, lastAttempt });
        return { id: job.id, status: 'completed' };
      } catch (err) {
        if (err instanceof RetryAfterError && !lastAttempt) {
          // The target said when to come back (Slack's 429 Retry-After): a continuation job with
          // the retries left, queued before this one completes (a crash between the two leaves
          // a duplicate job, which finds the delivery delivered or sends once more under the
          // same webhook-id, never none).
          await this.boss.insert(DELIVERY_QUEUE, [{
            ...this.jobOf({ deliveryId: job.data.deliveryId, startAfter: err.retryAt }, { deliveryId: job.data.deliveryId, before: attempt }),
            retryLimit: Math.max(0, job.retryLimit - job.retryCount - 1),
          }]);
          return { id: job.id, status: 'completed' };
        }
        // Failed: pg-boss retries it with backoff, or dead-letters it after the last attempt.
        return { id: job.id, status: 'failed', output: { message: (err as Error).message } };
      }
    })));
    await this.boss.work(DEAD_QUEUE, { ...poll, includeMetadata: true, batchSize: 10 }, async (jobs: JobWithMetadata<JobData>[]) => {
      for (const job of jobs) {
        const output = job.output as { message?: unknown } | null;
        await onDead(job.data.deliveryId, typeof output?.message === 'string' ? output.message : 'retries exhausted');
      }
    });
  }

  async nextAttempt(deliveryId: string): Promise<Date | null> {
    await this.start();
    const jobs = await this.boss.findJobs<JobData>(DELIVERY_QUEUE, { key: deliveryId, queued: true, limit: 10 });
    const times = jobs.map((j) => new Date(j.startAfter).getTime()).filter(Number.isFinite);
    return times.length > 0 ? new Date(Math.min(...times)) : null;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started.catch(() => {});
    // graceful: in-flight sends finish (bounded by the send timeout) before the pool closes.
    await this.boss.stop({ graceful: true, timeout: this.o.sendTimeoutMs + 2000 });
    this.log.debug('alert queue stopped');
  }
}
