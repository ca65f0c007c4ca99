import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';

// Test data lives in test/fixtures/ (copies of the real corpus), so a fresh clone tests alone.
export const REPO_DIR = `${PACKAGE_ROOT}/`;
export const FIXTURES_DIR = `${join(PACKAGE_ROOT, 'test', 'fixtures')}/`;
export const CORPUS_DIR = `${join(FIXTURES_DIR, 'real-history')}/`;
export const RSS_CORPUS_DIR = `${join(FIXTURES_DIR, 'rss')}/`;
