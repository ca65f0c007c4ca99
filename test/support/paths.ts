import { fileURLToPath } from 'node:url';

// shared/ sits beside the repository clone (here and in CI).
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/real-history/', import.meta.url));
export const RSS_CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/rss/', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
