// One process per embedded data directory: a second one gets a clear error, not a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { REPO_DIR } from '../support/paths.ts';

test('a second process on the same PGlite directory exits 3 naming the holder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await openDatabase({ dataDir: dir });
  const run = () => spawnSync(process.execPath, ['bin/policywatch.mjs', 'migrate'], {
    cwd: REPO_DIR, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, DATABASE_URL: '', POLICYWATCH_DATA_DIR: dir, LOG_LEVEL: 'warn' },
  });
  const busy = run();
  assert.equal(busy.status, 3, busy.stderr);
  assert.match(busy.stderr, new RegExp(`in use by another policywatch process \\(pid ${process.pid}\\)`));
  await db.close();
  assert.equal(existsSync(join(dir, 'policywatch.pid')), false, 'lock released on close');
  // A lock file left by a dead process is taken over.
  writeFileSync(join(dir, 'policywatch.pid'), '999999999');
  const ok = run();
  assert.equal(ok.status, 0, ok.stderr);
});
