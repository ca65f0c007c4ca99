// A fresh database per test file: Postgres databases are cloned from a template that is
// migrated once per migration set (graphile-worker style); PGlite runs in memory.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';

export type Backend = 'postgres' | 'pglite';

/** Server URL without a database name; CI and the dev machine use the local trust-auth server. */
export const PG_SERVER = process.env.POLICYWATCH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
const ADMIN_DB = 'postgres';

const dbUrl = (name: string) => `${PG_SERVER}/${name}`;

/**
 * Test pools wait up to 30 s for a connection instead of the service's 5 s: with two test files
 * running at once on two cores (one cloning or dropping a database), opening a connection has been
 * seen to take longer than 5 s, and these tests check locks and data, not connection latency. The
 * tests that are about timeouts set their own.
 */
export const TEST_DB_TIMEOUTS = { connectTimeoutMs: 30_000 } as const;

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: dbUrl(ADMIN_DB) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function ensureTemplate(): Promise<string> {
  const hash = createHash('sha256').update(loadMigrations().map((m) => m.checksum).join()).digest('hex').slice(0, 12);
  const name = `pw_tpl_${hash}`;
  await withAdmin(async (c) => {
    await c.query('SELECT pg_advisory_lock(7402001)');
    try {
      const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return;
      const building = `${name}_build_${process.pid}`;
      await c.query(`DROP DATABASE IF EXISTS "${building}"`);
      await c.query(`CREATE DATABASE "${building}"`);
      const db = await openDatabase({ databaseUrl: dbUrl(building), poolMax: 2, timeouts: TEST_DB_TIMEOUTS });
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      // Renamed only once complete, so a crash mid-build never leaves a half-migrated template.
      await c.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(7402001)');
    }
  });
  return name;
}

export interface TestDb {
  db: Database;
  url: string | undefined;
  /** Closes the connection and drops the database. */
  cleanup(): Promise<void>;
}

/** Creates an empty, migrated database (a fresh clone for Postgres). */
export async function createTestDatabase(backend: Backend = 'postgres'): Promise<TestDb> {
  if (backend === 'pglite') {
    const db = await openDatabase({});
    await migrate(db);
    return { db, url: undefined, cleanup: () => db.close() };
  }
  const { url, drop } = await createTestDatabaseUrl();
  const db = await openDatabase({ databaseUrl: url, poolMax: 5, timeouts: TEST_DB_TIMEOUTS });
  return {
    db, url,
    cleanup: async () => {
      await db.close();
      await drop();
    },
  };
}

/** A migrated database URL (for tests that spawn processes). */
export async function createTestDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const template = await ensureTemplate();
  const name = `pw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    url: dbUrl(name),
    drop: () => withAdmin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }),
  };
}
