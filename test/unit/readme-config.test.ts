// The README's configuration table is the operators' contract: every setting the env schema
// reads is documented there, with its default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../../src/config/env.ts';
import { REPO_DIR } from '../support/paths.ts';

test('every setting is in the README configuration table with its default', () => {
  const readme = readFileSync(`${REPO_DIR}README.md`, 'utf8');
  for (const s of SETTINGS) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${s.env}\` |`));
    assert.ok(row, `${s.env} documented`);
    if (s.default !== undefined) assert.ok(row.includes(`\`${s.default}\``), `${s.env} default ${s.default} documented`);
  }
});
