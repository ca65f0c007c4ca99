import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';

// shared/ sits beside the repository clone (here and in CI).
export const REPO_DIR = `${PACKAGE_ROOT}/`;
export const SHARED_DIR = `${join(PACKAGE_ROOT, '..', 'shared')}/`;
export const CORPUS_DIR = `${join(SHARED_DIR, 'corpus', 'real-history')}/`;
export const RSS_CORPUS_DIR = `${join(SHARED_DIR, 'corpus', 'rss')}/`;
