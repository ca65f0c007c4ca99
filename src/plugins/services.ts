// Builds the services (composition root) and, when asked, the scheduler that runs the worker.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/env.ts';
import type { IamSource } from '../core/iam.ts';
import type { Resolver } from '../sources/outbound/index.ts';
import { createServices, type Services } from '../container.ts';
import { Scheduler } from '../jobs/scheduler.ts';
import { defaultJobs } from '../jobs/definitions.ts';
import { seedIfEmpty } from '../jobs/jobs.ts';
import { LOCKS } from '../db/database.ts';
import { Progress, logProgress } from '../core/progress.ts';

/** The first-start seed as this process sees it (/readyz reports it). */
export interface SeedState {
  state: 'off' | 'seeding' | 'done' | 'failed';
  progress: Progress | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    scheduler: Scheduler;
    seed: SeedState;
  }
}

export interface ServicesPluginOptions {
  config: Config;
  iam?: IamSource | undefined;
  resolver?: Resolver | undefined;
  /** Start the cron schedules (serve without --no-worker). */
  worker?: boolean | undefined;
  /** Seed an empty database from the bundled dataset (POLICYWATCH_SEED_DATASET). */
  seed?: boolean | undefined;
}

export default fp(async function services(app: FastifyInstance, opts: ServicesPluginOptions) {
  const services = createServices({ config: opts.config, db: app.db, log: app.log, iam: opts.iam, resolver: opts.resolver });
  const scheduler = new Scheduler({ services, log: app.log.child({ component: 'scheduler' }), jobs: defaultJobs(opts.config) });
  app.decorate('services', services);
  app.decorate('scheduler', scheduler);
  const seed: SeedState = { state: 'off', progress: undefined };
  app.decorate('seed', seed);

  let seeding: Promise<unknown> | undefined;
  app.addHook('onReady', async () => {
    // The alert queue is ready before anything can store an event (its jobs are sent inside the
    // event transaction); worker processes also send deliveries.
    await services.alerts.queue.start();
    if (opts.worker && opts.config.alertsDispatch) await services.alerts.dispatch();
    if (opts.seed ?? opts.config.seedDataset) {
      // In the background: the API answers while the history loads.
      const abort = new AbortController();
      app.addHook('onClose', async () => abort.abort());
      // withLock, not try: a replica that loses the race waits, so its first poll sees the seed.
      const log = app.log.child({ component: 'seed' });
      seed.state = 'seeding';
      seed.progress = new Progress('seed', [logProgress(log)]);
      const progress = seed.progress;
      seeding = app.db.withLock(LOCKS.seed, () => seedIfEmpty({ services, log, signal: abort.signal }, progress))
        .then((seeded) => {
          seed.state = 'done';
          // Nothing to seed (a database that has its history): no progress to report.
          if (!seeded) seed.progress = undefined;
        }, (err: unknown) => {
          seed.state = 'failed';
          app.log.error({ err }, 'seeding from the bundled dataset failed');
        });
    }
    // The IAM source says at start whether it has credentials (one warning when it has none).
    if (opts.worker && opts.config.pollCron !== null) void services.iamPoll.checkCredentials();
    // The first poll waits for the seed, so it diffs against history instead of backfilling cold.
    if (opts.worker) void Promise.resolve(seeding).then(() => scheduler.start());
  });
  app.addHook('onClose', async () => {
    await scheduler.stop();
    await seeding;
    await services.alerts.queue.stop();
    await services.alerts.close();
    await services.outbound.close();
  });
}, { name: 'services', dependencies: ['database'] });
