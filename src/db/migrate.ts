// Applies prisma/migrations/*/migration.sql in order and records each in _prisma_migrations
// exactly as `prisma migrate deploy` does (same table, checksum = SHA-256 of the file), so users
// who have Prisma's schema engine can keep using `prisma migrate deploy` on the same database.
import { randomUUID } from 'node:crypto';
import { LOCKS, type Database, type SqlRunner } from './database.ts';
import { loadMigrations, type Migration } from './migrations.ts';

export { loadMigrations, MIGRATIONS_DIR, type Migration } from './migrations.ts';

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies pending migrations under the migrate advisory lock. Returns the names applied. */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  return db.withLock(LOCKS.migrate, (sql) => applyPending(sql, migrations));
}

async function applyPending(sql: SqlRunner, migrations: Migration[]): Promise<string[]> {
  await sql.exec(CREATE_TABLE);
  const rows = await sql.query<AppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
  );
  const applied = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
  for (const r of applied.values()) {
    if (r.finished_at === null) {
      throw new MigrationError(`migration ${r.migration_name} started but did not finish; resolve it before starting (see README)`);
    }
  }
  const done: string[] = [];
  for (const m of migrations) {
    const prev = applied.get(m.name);
    if (prev) {
      if (prev.checksum !== m.checksum) {
        throw new MigrationError(`migration ${m.name} was modified after it was applied (checksum mismatch)`);
      }
      continue;
    }
    const id = randomUUID();
    const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;
    try {
      // Script and bookkeeping commit together: a crash or error leaves nothing half-applied.
      await sql.exec(
        `BEGIN;\nINSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES (${lit(id)}, ${lit(m.checksum)}, ${lit(m.name)}, now(), 0);\n` +
          `${m.sql}\n;\nUPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = ${lit(id)};\nCOMMIT;`,
      );
    } catch (err) {
      await sql.exec('ROLLBACK').catch(() => {});
      throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
    }
    done.push(m.name);
  }
  return done;
}

/**
 * Migrations this code expects that the database has not finished (another process may be
 * applying them right now). Read-only; a database never migrated has them all pending.
 */
export async function pendingMigrations(db: Database, migrations = loadMigrations()): Promise<string[]> {
  const [{ exists } = { exists: false }] = await db.sql.query<{ exists: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS "exists"`);
  if (!exists) return migrations.map((m) => m.name);
  const rows = await db.sql.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const done = new Set(rows.map((r) => r.migration_name));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
