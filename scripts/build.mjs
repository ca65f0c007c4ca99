#!/usr/bin/env node
// Compiles the TypeScript sources to dist/ (npm run build; npm start and the container run it
// first) and stamps dist/BUILD_ID with their hash. bin/policywatch.mjs runs dist/ only while the
// stamp matches the sources, else the sources through tsx, so an edit never runs stale code.
// The compiled service starts faster and needs ~70 MB less memory than tsx's loader thread.
// Beside the compiler it makes the embedded database's template (scripts/pglite-template.mjs,
// src/db/pglite-template.ts) when the PGlite release or the migrations changed since the last one.
// Usage: node scripts/build.mjs [--bench]   --bench also compiles bench/ and test/support/.
// Does nothing when dist/ and the template are already current.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, sourceHash } from './source-hash.mjs';

const bench = process.argv.includes('--bench');
const stampFile = join(ROOT, 'dist', bench ? 'BENCH_ID' : 'BUILD_ID');
const dirs = bench ? ['src', 'bench', 'test/support'] : ['src'];
const id = sourceHash(dirs);
const buildCurrent = existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === id;

// What the template is made from besides the sources: the installed PGlite and pg-boss, and the
// migrations. The template's own key (src/db/pglite-template.ts) decides whether a server uses
// it; this stamp only saves starting the maker when nothing it depends on changed.
const templateStamp = join(ROOT, 'dist', 'PGLITE_TEMPLATE_ID');
const templateDir = join(ROOT, 'dist', 'pglite-template');
function templateInputs() {
  const hash = createHash('sha256');
  // Each package's release: its package.json where npm puts it, else its entry point.
  for (const p of ['@electric-sql/pglite', 'pg-boss']) {
    const manifest = join(ROOT, 'node_modules', p, 'package.json');
    hash.update(readFileSync(existsSync(manifest) ? manifest : createRequire(import.meta.url).resolve(p)));
  }
  const migrations = join(ROOT, 'prisma', 'migrations');
  for (const d of readdirSync(migrations).sort()) {
    const f = join(migrations, d, 'migration.sql');
    if (existsSync(f)) hash.update(`\0${d}\0`).update(readFileSync(f));
  }
  return hash.digest('hex');
}
const templateId = templateInputs();
const templateCurrent = existsSync(templateStamp) && readFileSync(templateStamp, 'utf8').trim() === templateId
  && existsSync(templateDir) && readdirSync(templateDir).some((f) => f.endsWith('.tar.gz'));
if (buildCurrent && templateCurrent) process.exit(0);

const run = (args) => new Promise((resolve) => {
  spawn(process.execPath, args, { stdio: 'inherit', cwd: ROOT }).on('exit', (code) => resolve(code ?? 1)).on('error', () => resolve(1));
});

// A source edit can change how the template is made (its key then changes too): the maker runs
// with every compile and returns at once when its template exists. It runs beside tsc, on the
// other core, so a first start pays for initdb here at hardly any wall time.
const template = (async () => {
  rmSync(templateStamp, { force: true });
  const code = await run([join(ROOT, 'scripts', 'pglite-template.mjs')]);
  if (code === 0) writeFileSync(templateStamp, `${templateId}\n`);
  // Never fatal: without a template the server creates its database with initdb, as before.
  else console.error(`policywatch: could not make the embedded database template (exit ${code}); a new data directory is created with initdb instead`);
})();

async function compile() {
  if (buildCurrent) return 0;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    // An install without dev dependencies has no compiler: the sources then run through tsx.
    console.error('build skipped: typescript is not installed (npm ci --omit=dev); bin/policywatch.mjs runs the sources through tsx');
    return 0;
  }
  // No stamp while dist/ is being rewritten: a failed or interrupted build must never look current
  // (tsc writes files even when it reports errors).
  rmSync(stampFile, { force: true });
  rmSync(join(ROOT, 'dist', 'BUILD_ID'), { force: true });
  const project = join(ROOT, bench ? 'tsconfig.bench.json' : 'tsconfig.build.json');
  // npm start runs this first: say why the first start after an install or an edit takes a while.
  console.error(`policywatch: building dist/ from the TypeScript sources (once per change to ${dirs.join(', ')})…`);
  const started = performance.now();
  const status = await run([tsc, '-p', project]);
  if (status !== 0) {
    console.error(`build failed: tsc -p ${project} exited ${status}`);
    return status;
  }
  writeFileSync(stampFile, `${id}\n`);
  console.error(`policywatch: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // A bench build contains the service build too.
  if (bench) writeFileSync(join(ROOT, 'dist', 'BUILD_ID'), `${sourceHash(['src'])}\n`);
  return 0;
}

const [status] = await Promise.all([compile(), template]);
process.exit(status);
