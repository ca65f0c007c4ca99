// A hash of the TypeScript sources a build is made from: scripts/build.mjs writes it to
// dist/BUILD_ID, bin/policywatch.mjs compares it before running dist/ (contents, not mtimes, so a
// copied or checked-out tree compares the same).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

export function sourceHash(dirs) {
  const files = [];
  const walk = (p) => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else if (p.endsWith('.ts')) files.push(p);
  };
  for (const d of dirs) walk(join(ROOT, d));
  const hash = createHash('sha256');
  for (const f of [...files.map((f) => relative(ROOT, f)).sort(), ...CONFIGS]) {
    hash.update(f).update('\0').update(readFileSync(join(ROOT, f))).update('\0');
  }
  return hash.digest('hex');
}

/** True when dist/ holds a build of exactly the current sources (see scripts/build.mjs). */
export function buildIsCurrent() {
  const stamp = join(ROOT, 'dist', 'BUILD_ID');
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sourceHash(['src']);
}
