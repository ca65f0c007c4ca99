// Runs the worker alone (no HTTP listener): schedules, seeding, graceful stop on SIGTERM.
import type { Config } from './config/env.ts';
import { buildApp } from './app.ts';
import { installShutdown } from './server.ts';

export async function runWorker(config: Config): Promise<void> {
  const app = await buildApp({ config, worker: true });
  installShutdown(app);
  await app.ready();
  app.log.info('worker started');
}
