// Runs the worker alone (no HTTP listener): schedules, seeding, graceful stop on SIGTERM.
import type { Config } from './config/env.ts';
import { buildApp } from './app.ts';
import { installShutdown } from './server.ts';

export async function runWorker(config: Config): Promise<void> {
  const app = await buildApp({ config, worker: true, http: false });
  installShutdown(app);
  try {
    await app.ready();
  } catch (err) {
    await app.close().catch(() => {});
    throw err;
  }
  app.log.info('worker started');
}
