// The PGlite template: an initialised, migrated and EMPTY embedded database (our migrations and
// pg-boss's schema, no rows, no queues: their settings come from each deployment's config), dumped once (by
// `npm run build`, see scripts/pglite-template.mjs) and unpacked into a new data directory instead
// of running initdb and the migrations there. initdb is most of an embedded first start's time to
// its first byte (seconds of CPU, ~1 GB peak RSS: PGlite runs a second Postgres for it); unpacking
// a 4 MB archive takes a fraction of that.
//
// It holds no data: the seed still imports the bundled history on every first start. It is only
// used when it was made by exactly these PGlite and pg-boss releases from exactly these migrations:
// the file is named by a hash of all three (templateKey), so an upgrade or a new or edited
// migration leaves no template to find and the database is created by initdb as before, never
// from a stale one.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { loadMigrations, type Migration } from './migrations.ts';

/** Build output: the template is made from the installed packages, like dist/ from the sources. */
export const TEMPLATE_DIR = join(PACKAGE_ROOT, 'dist', 'pglite-template');

/**
 * How the template's database is made (openDatabase's PGlite options, migrate, pg-boss's schema
 * without queues, a CHECKPOINT). Bump it when that changes, so older templates stop matching.
 */
const FORMAT = 1;

/** What a template is made with: PGlite (initdb) and pg-boss (its queue schema). */
export const TEMPLATE_PACKAGES = ['@electric-sql/pglite', 'pg-boss'] as const;

/** The installed package's own package.json (name and version), found above its entry point. */
function manifest(name: string): string {
  for (let dir = dirname(createRequire(import.meta.url).resolve(name)); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === name) return readFileSync(file, 'utf8');
  }
  throw new Error(`package.json of ${name} not found`);
}

/**
 * Hash of the PGlite and pg-boss releases and the migrations (names and checksums) a template is
 * made from.
 */
export function templateKey(migrations: readonly Migration[] = loadMigrations()): string {
  const hash = createHash('sha256').update(`policywatch-pglite-template/${FORMAT}`);
  for (const p of TEMPLATE_PACKAGES) hash.update(`\0${manifest(p)}`);
  for (const m of migrations) hash.update(`\0${m.name}\0${m.checksum}`);
  return hash.digest('hex').slice(0, 32);
}

export const templateFile = (key = templateKey(), dir = TEMPLATE_DIR) => join(dir, `${key}.tar.gz`);

/**
 * The current template as the uncompressed tarball PGlite's loadDataDir takes, or undefined when
 * there is none for this PGlite and these migrations. gzip's CRC rejects a damaged file before a
 * byte of it reaches a data directory.
 */
export function readTemplate(dir = TEMPLATE_DIR): Blob | undefined {
  const file = templateFile(templateKey(), dir);
  if (!existsSync(file)) return undefined;
  return new Blob([gunzipSync(readFileSync(file))]);
}
