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
 * without queues, a CHECKPOINT, PG_VERSION unpacked last). Bump it when that changes, so older templates stop matching.
 */
const FORMAT = 2;

/** What a template is made with: PGlite (initdb) and pg-boss (its queue schema). */
const TEMPLATE_PACKAGES = ['@electric-sql/pglite', 'pg-boss'] as const;

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

/** One entry of a tarball as PGlite writes it: its path (leading "/") and its bytes, header included. */
export interface TarEntry {
  name: string;
  bytes: Uint8Array;
}

/**
 * The entries of a ustar tarball: a 512-byte header (name at 0, octal size at 124), the data
 * padded to 512 bytes, two zero blocks at the end. PGlite writes plain names (no prefix field).
 */
export function* tarEntries(tar: Uint8Array): Generator<TarEntry> {
  const text = (from: number, len: number) => new TextDecoder().decode(tar.subarray(from, from + len)).replace(/\0.*$/s, '');
  for (let off = 0; off + 512 <= tar.length && tar[off] !== 0;) {
    const size = Number.parseInt(text(off + 124, 12).trim() || '0', 8);
    const end = off + 512 + Math.ceil(size / 512) * 512;
    yield { name: text(off, 100), bytes: tar.subarray(off, end) };
    off = end;
  }
}

/** The current template, ready for PGlite's loadDataDir. */
export interface Template {
  tar: Blob;
  /** What it puts at the top of a data directory (base, global, pg_wal, PG_VERSION, …). */
  topLevel: ReadonlySet<string>;
}

/**
 * The current template, or undefined when there is none for this PGlite, this pg-boss and these
 * migrations. gzip's CRC rejects a damaged file before a byte of it reaches a data directory.
 */
export function readTemplate(dir = TEMPLATE_DIR): Template | undefined {
  const file = templateFile(templateKey(), dir);
  if (!existsSync(file)) return undefined;
  const tar = gunzipSync(readFileSync(file));
  const topLevel = new Set<string>();
  for (const e of tarEntries(tar)) topLevel.add(e.name.replace(/^\/+/, '').split('/')[0] as string);
  return { tar: new Blob([tar]), topLevel };
}
