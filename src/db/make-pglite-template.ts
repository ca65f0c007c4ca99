// Makes the PGlite template (see pglite-template.ts): initdb, the migrations and pg-boss's schema
// on an in-memory PGlite, a CHECKPOINT so the dump needs no WAL replay when it is opened, then the data directory
// as a gzipped tarball named by its key. Run by `npm run build` (scripts/pglite-template.mjs).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMigrations } from './migrations.ts';
import { TEMPLATE_DIR, tarEntries, templateFile, templateKey } from './pglite-template.ts';

/** Writes the current template unless it exists; removes templates of other keys. */
export async function makePgliteTemplate(dir = TEMPLATE_DIR): Promise<{ file: string; made: boolean }> {
  const migrations = loadMigrations();
  const file = templateFile(templateKey(migrations), dir);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (join(dir, f) !== file) rmSync(join(dir, f), { force: true });
  if (existsSync(file)) return { file, made: false };
  // Loaded only to make one: the build runs this with every compile, mostly to find it made.
  const [{ openDatabase }, { migrate }, { PgBossDeliveryQueue }] = await Promise.all([import('./database.ts'), import('./migrate.ts'), import('./alert-queue.ts')]);
  const db = await openDatabase({});
  try {
    if (!('pglite' in db.queueTarget)) throw new Error('an in-memory database is PGlite');
    await migrate(db, migrations);
    await PgBossDeliveryQueue.installSchema(db);
    await db.sql.exec('CHECKPOINT');
    const tar = await db.queueTarget.pglite.dumpDataDir('none');
    // Written aside and renamed: a build killed half-way never leaves a truncated template.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, gzipSync(pgVersionLast(new Uint8Array(await tar.arrayBuffer()))));
    renameSync(tmp, file);
  } finally {
    await db.close();
  }
  return { file, made: true };
}

/**
 * The tarball with the data directory's PG_VERSION as its last entry. PGlite takes a directory
 * with PG_VERSION for a database and opens it; unpacked last, it is only there once everything
 * else is, so a start killed while unpacking leaves a directory without one, which the next start
 * clears of the partial files and unpacks again (database.ts) instead of opening it half-written.
 */
function pgVersionLast(tar: Uint8Array): Uint8Array {
  const entries = [...tarEntries(tar)];
  const version = entries.filter((e) => e.name.replace(/^\/+/, '') === 'PG_VERSION');
  if (version.length !== 1) throw new Error('the dumped data directory has no single PG_VERSION');
  return Buffer.concat([...entries.filter((e) => !version.includes(e)).map((e) => e.bytes), ...version.map((e) => e.bytes), new Uint8Array(1024)]);
}
