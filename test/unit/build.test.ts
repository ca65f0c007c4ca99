// The compiled build: npm start and the container run dist/ while it matches the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from '../support/paths.ts';
// @ts-expect-error -- plain ESM helper shared with bin/ and scripts/build.mjs, no type declarations
import { buildIsCurrent, sourceHash } from '../../scripts/source-hash.mjs';

const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: REPO_DIR, encoding: 'utf8', timeout: 120_000 });

test('npm run build compiles src/ to dist/, stamps it, and is a no-op when current', () => {
  const first = run([join(REPO_DIR, 'scripts', 'build.mjs')]);
  assert.equal(first.status, 0, first.stderr);
  const stamp = join(REPO_DIR, 'dist', 'BUILD_ID');
  assert.equal(readFileSync(stamp, 'utf8').trim(), (sourceHash as (d: string[]) => string)(['src']));
  assert.equal((buildIsCurrent as () => boolean)(), true);
  const cli = join(REPO_DIR, 'dist', 'src', 'cli.js');
  const built = statSync(cli).mtimeMs;
  assert.equal(run([join(REPO_DIR, 'scripts', 'build.mjs')]).status, 0);
  assert.equal(statSync(cli).mtimeMs, built, 'a current build is not compiled again');

  const help = run([cli, '--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /policywatch/);

  // A stamp that does not match the sources (an edit after the build) sends bin/ back to tsx.
  const id = readFileSync(stamp, 'utf8');
  try {
    writeFileSync(stamp, 'stale\n');
    assert.equal((buildIsCurrent as () => boolean)(), false);
    const viaTsx = run([join(REPO_DIR, 'bin', 'policywatch.mjs'), '--help']);
    assert.equal(viaTsx.status, 0, viaTsx.stderr);
    assert.match(viaTsx.stdout, /policywatch/);
  } finally {
    writeFileSync(stamp, id);
  }
});
