// A hash of the TypeScript sources a build is made from: scripts/build.mjs writes it to
// dist/BUILD_ID, bin/policywatch.mjs compares it before running dist/ (contents, not mtimes, so a
// copied or checked-out tree compares the same).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

export function sourceHash(dirs) {
  const files = [];
  // Regular files and directories only: editor lock files are often dangling symlinks.
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && p.endsWith('.ts')) files.push(p);
    }
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
  try {
    const stamp = join(ROOT, 'dist', 'BUILD_ID');
    return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sourceHash(['src']);
  } catch {
    return false; // a file vanished mid-walk (an editor saving): run the sources
  }
}
