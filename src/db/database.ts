// Opens the database: Postgres (DATABASE_URL) or embedded PGlite (data dir / in-memory).
// Both give the same Prisma client and the same raw-SQL and locking surface, so the rest of the
// code runs one code path against either.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';
import { LockLostError, type LockLease } from '../core/fence.ts';
import { readTemplate } from './pglite-template.ts';

export { LockLostError, type LockLease } from '../core/fence.ts';

export type DbKind = 'postgres' | 'pglite';

export interface SqlRunner {
  /** Runs a multi-statement script (simple query protocol). */
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** SqlRunner on the shared pool, plus transactions on a connection of their own. */
export interface BulkSql extends SqlRunner {
  /** BEGIN … COMMIT around fn on one connection; ROLLBACK when fn throws. */
  transaction<T>(fn: (sql: SqlRunner) => Promise<T>): Promise<T>;
}

/** Bounded waits on Postgres (ms; 0 = no limit). PGlite, in-process, ignores them. */
export interface DbTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectTimeoutMs: number;
  /** Server-side statement_timeout per connection; the client gives up QUERY_GRACE_MS later. */
  statementTimeoutMs: number;
  /** Server-side idle_in_transaction_session_timeout per connection. */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { connectTimeoutMs: 5_000, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 };

/**
 * statement_timeout is enforced by the server, so it cannot fire while the network drops every
 * packet; the client's own read timeout, a little later, bounds that case too.
 */
const QUERY_GRACE_MS = 2_000;
/** Lock waits and migrations may legitimately take long: pg has no "no limit" per query. */
const UNBOUNDED_MS = 2 ** 31 - 1;

/** A query with its own client-side read timeout (pg reads `query_timeout`; @types/pg omits it). */
function timed(text: string, values: unknown[] | undefined, queryTimeout: number): pg.QueryConfig {
  return Object.assign({ text, values }, { query_timeout: queryTimeout });
}

export interface Database {
  readonly kind: DbKind;
  readonly prisma: PrismaClient;
  /**
   * Raw SQL beside Prisma, for the bulk statements of imports and change events: their multi-MB
   * parameters and results cost the ORM seconds to copy and parse, and its debug module keeps the
   * arguments of the last 100 queries alive. Same database, same schema; only src/db uses it.
   */
  readonly sql: BulkSql;
  /** Runs fn on a dedicated connection that holds a session advisory lock for its duration. */
  withLock<T>(key: bigint, fn: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Like withLock but returns { acquired: false } at once when another session holds the lock.
   * fn gets the lock's lease to check before each write.
   */
  tryWithLock<T>(key: bigint, fn: (lease: LockLease) => Promise<T>): Promise<{ acquired: true; result: T } | { acquired: false }>;
  /** Where the alert delivery queue (pg-boss, src/db/alert-queue.ts) connects: the same database. */
  readonly queueTarget: { connectionString: string } | { pglite: PGlite };
  /**
   * Set when this open created an embedded database: from the migrated template
   * (src/db/pglite-template.ts) or by initdb, with why the template was not used.
   */
  readonly created?: { from: 'template' } | { from: 'initdb'; templateSkipped: string } | undefined;
  /** Cheap liveness probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** PGlite directory; undefined → in-memory (tests). */
  dataDir?: string | undefined;
  poolMax?: number;
  timeouts?: Partial<DbTimeouts> | undefined;
  /** Where a new PGlite data directory's template is looked for (pglite-template.ts; tests). */
  templateDir?: string | undefined;
}

/** Lock keys: fixed 64-bit numbers so every replica agrees on them. */
export const LOCKS = {
  migrate: 0x706f6c6963790001n,
  poller: 0x706f6c6963790002n,
  rssPoller: 0x706f6c6963790003n,
  seed: 0x706f6c6963790004n,
  iamtrail: 0x706f6c6963790009n,
} as const;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const timeouts = { ...DEFAULT_DB_TIMEOUTS, ...opts.timeouts };
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolMax ?? 10, timeouts) : openPglite(opts.dataDir, opts.templateDir);
}

function openPostgres(connectionString: string, poolMax: number, t: DbTimeouts): Database {
  const pool = new pg.Pool({
    connectionString, max: poolMax, keepAlive: true,
    // 0 leaves each one unset (no limit), as in Postgres itself.
    ...(t.connectTimeoutMs > 0 ? { connectionTimeoutMillis: t.connectTimeoutMs } : {}),
    ...(t.statementTimeoutMs > 0 ? { statement_timeout: t.statementTimeoutMs, query_timeout: t.statementTimeoutMs + QUERY_GRACE_MS } : {}),
    ...(t.idleInTransactionTimeoutMs > 0 ? { idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs } : {}),
  });
  // An idle client error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });

  const runnerFor = (client: pg.PoolClient, queryTimeout?: number): SqlRunner => ({
    exec: async (sql) => {
      await client.query(queryTimeout === undefined ? sql : timed(sql, undefined, queryTimeout));
    },
    query: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(queryTimeout === undefined ? { text: sql, values: params } : timed(sql, params, queryTimeout))).rows as T[],
  });

  return {
    kind: 'postgres',
    prisma,
    queueTarget: { connectionString },
    sql: {
      exec: async (sql) => {
        await pool.query(sql);
      },
      query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
      transaction: (fn) =>
        onSession(pool, async (client, lost) => {
          await client.query('BEGIN');
          try {
            const result = await fn(runnerFor(client));
            await client.query('COMMIT');
            return result;
          } catch (err) {
            if (!lost.err) await client.query('ROLLBACK').catch((e: Error) => (lost.err ??= e));
            throw err;
          }
        }),
    },
    async withLock(key, fn) {
      // The lock holder (migrations, seeding) and whoever waits for it may take minutes: this
      // session alone runs without the statement bounds, restored before it goes back to the pool.
      return onSession(pool, async (client, lost) => {
        await client.query('SET statement_timeout = 0');
        try {
          await client.query(timed('SELECT pg_advisory_lock($1)', [key.toString()], UNBOUNDED_MS));
          try {
            return await fn(runnerFor(client, UNBOUNDED_MS));
          } finally {
            await unlock(client, key, lost);
          }
        } finally {
          if (!lost.err) await client.query('RESET statement_timeout').catch((e: Error) => (lost.err ??= e));
        }
      });
    },
    async tryWithLock(key, fn) {
      // A session lock on a dedicated connection: if this process dies, Postgres drops the
      // connection and with it the lock, so another replica takes over at its next tick.
      return onSession(pool, async (client, lost) => {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key.toString()]);
        if (!rows[0]?.ok) return { acquired: false } as const;
        const lease: LockLease = {
          async assertHeld() {
            if (lost.err) throw new LockLostError({ cause: lost.err });
            // A session that answers still holds its session locks. A bounded wait: a lock
            // whose session cannot be reached is as good as lost.
            try {
              await client.query(timed('SELECT 1', undefined, t.connectTimeoutMs > 0 ? t.connectTimeoutMs : QUERY_GRACE_MS));
            } catch (err) {
              lost.err ??= err as Error;
              throw new LockLostError({ cause: err });
            }
          },
        };
        try {
          return { acquired: true, result: await fn(lease) } as const;
        } finally {
          await unlock(client, key, lost);
        }
      });
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * Runs fn on a dedicated pooled connection. The connection sits idle (checked out) while a lock
 * holder works elsewhere; if the server ends it meanwhile (restart, failover, terminated backend,
 * idle_session_timeout), pg emits 'error' on the client, which without a listener would crash
 * the process. A connection that failed is destroyed instead of going back to the pool.
 */
async function onSession<T>(pool: pg.Pool, fn: (client: pg.PoolClient, lost: { err?: Error }) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const lost: { err?: Error } = {};
  const onError = (err: Error) => {
    lost.err ??= err;
  };
  client.on('error', onError);
  try {
    return await fn(client, lost);
  } finally {
    if (lost.err) {
      client.release(lost.err);
    } else {
      client.off('error', onError);
      client.release();
    }
  }
}

/** Releases a session lock. A session that is gone took its locks with it: nothing to undo. */
async function unlock(client: pg.PoolClient, key: bigint, lost: { err?: Error }): Promise<void> {
  try {
    await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]);
  } catch (err) {
    lost.err ??= err as Error;
  }
}

export class DataDirBusyError extends Error {
  readonly code = 'DATA_DIR_BUSY';
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by another policywatch process (pid ${pid}); stop it, or use DATABASE_URL (Postgres) to run several processes`);
    this.name = 'DataDirBusyError';
  }
}

/**
 * PGlite is single-process: a second process opening the same directory would corrupt it or die
 * obscurely. A pid lock file turns that into a clear error; a lock left by a dead process is taken over.
 */
function lockDataDir(dir: string): () => void {
  const file = join(dir, 'policywatch.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new DataDirBusyError(dir, pid);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string | undefined, templateDir: string | undefined): Promise<Database> {
  let unlockDir = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlockDir = lockDataDir(dataDir);
  }
  let lite: PGlite;
  let created: Database['created'];
  try {
    ({ lite, created } = dataDir ? await createOrOpen(dataDir, templateDir) : { lite: await PGlite.create(), created: undefined });
  } catch (err) {
    unlockDir();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  // PGlite is one in-process connection: advisory locks would always succeed, so an in-process
  // mutex gives the same "one holder at a time" guarantee.
  const held = new Map<bigint, Promise<void>>();
  // The same runner over PGlite itself or over one of its transactions.
  const runnerOf = (c: Pick<PGlite, 'exec' | 'query'>): SqlRunner => ({
    exec: async (sql) => {
      await c.exec(sql);
    },
    query: async <T>(sql: string, params?: unknown[]) => (await c.query<T>(sql, params)).rows,
  });
  const runner = runnerOf(lite);
  return {
    kind: 'pglite',
    prisma,
    created,
    queueTarget: { pglite: lite },
    sql: {
      ...runner,
      transaction: (fn) => lite.transaction((tx) => fn(runnerOf(tx))),
    },
    async withLock(key, fn) {
      while (held.has(key)) await held.get(key);
      let release!: () => void;
      held.set(key, new Promise<void>((r) => (release = r)));
      try {
        return await fn(runner);
      } finally {
        held.delete(key);
        release();
      }
    },
    async tryWithLock(key, fn) {
      if (held.has(key)) return { acquired: false };
      let release!: () => void;
      held.set(key, new Promise<void>((r) => (release = r)));
      try {
        // An in-process mutex cannot be lost while its process lives.
        return { acquired: true, result: await fn({ assertHeld: async () => {} }) };
      } finally {
        held.delete(key);
        release();
      }
    },
    async ping() {
      await lite.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await lite.close();
      unlockDir();
    },
  };
}

/**
 * Opens the PGlite database in dataDir. A directory without one gets the migrated template's
 * (src/db/pglite-template.ts) when there is a current template, else a new one from initdb. A
 * template that fails to load is undone (only the files it added go) and initdb runs instead.
 */
async function createOrOpen(dataDir: string, templateDir: string | undefined): Promise<{ lite: PGlite; created: Database['created'] }> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return { lite: await PGlite.create(dataDir), created: undefined };
  let skipped = 'no template for this PGlite, this pg-boss and these migrations (npm run build makes it)';
  let before = new Set(readdirSync(dataDir));
  try {
    const template = readTemplate(templateDir);
    if (template) {
      // No PG_VERSION, which the template writes last: whatever else of its own is here is what
      // an unpack killed half-way left, and unpacking again over it would fail. Other files stay.
      for (const f of before) if (template.topLevel.has(f)) rmSync(join(dataDir, f), { recursive: true, force: true });
      before = new Set(readdirSync(dataDir));
      return { lite: await PGlite.create(dataDir, { loadDataDir: template.tar }), created: { from: 'template' } };
    }
  } catch (err) {
    skipped = `the template failed to load: ${(err as Error).message}`;
    for (const f of readdirSync(dataDir)) if (!before.has(f)) rmSync(join(dataDir, f), { recursive: true, force: true });
  }
  return { lite: await PGlite.create(dataDir), created: { from: 'initdb', templateSkipped: skipped } };
}
