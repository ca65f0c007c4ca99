// Direct Postgres access for tests that need more than a migrated clone: an empty database (to
// watch migrations being applied) and plain queries against a database by URL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_SERVER } from './db.ts';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database with nothing in it (not even _prisma_migrations). */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pw_empty_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    url: `${PG_SERVER}/${name}`,
    drop: () => admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }),
  };
}

/** Runs one query on a short-lived connection to `url`. */
export async function queryUrl<T extends Record<string, unknown> = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** A pool-backed query function for a test that queries one database many times. */
export function sqlClient(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  return {
    query: async <T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await pool.query<T>(sql, params)).rows,
    close: () => pool.end(),
  };
}
