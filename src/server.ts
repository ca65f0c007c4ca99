// Runs the HTTP process (API, and the worker unless disabled). Only process concerns live here.
import type { Config } from './config/env.ts';
import { buildApp } from './app.ts';

export async function runServer(config: Config, opts: { worker: boolean }): Promise<void> {
  const app = await buildApp({ config, worker: opts.worker });
  installShutdown(app);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // listen made the app ready, which started the worker: without closing, its cron timers and
    // the database pool would keep a process with no HTTP listener alive (and polling) forever.
    await app.close().catch(() => {});
    throw err;
  }
}

/** SIGTERM/SIGINT: stop accepting work, let the in-flight poll wind down, close the database. */
export function installShutdown(app: { close(): Promise<unknown>; log: { info(o: object, m: string): void; error(o: object, m: string): void } }) {
  let closing = false;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      if (closing) return;
      closing = true;
      app.log.info({ signal: sig }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 30_000);
      force.unref();
      app.close().then(() => process.exit(0), (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      });
    });
  }
}
