// Reader for a git clone of IAMTrail (zoph-io/IAMTrail, formerly MAMIP): its whole history, not
// only the checked-out files. Every commit that touched policies/<Name> holds that policy's
// default version as `aws iam get-policy-version` printed it, so each blob becomes a version with
// AWS's own CreateDate, and the commit time is when IAMTrail's poller first saw it. DEPRECATED.json
// and files that were removed (or left empty: the poller could no longer read the policy) become
// deprecations.
//
// The repository is read with the git command (plain `git log` and `git cat-file --batch`, no work
// tree needed, bare clones work): one log pass over the range, then every blob once, streamed, one
// policy at a time. A re-run reads only the commits after the last one imported completely
// (`resumeAfter`), falling back to the whole history when that commit is no longer an ancestor
// (a rewritten history).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import type { ImportedPolicy, ImportedVersion } from '../../core/history.ts';
import { ImportError } from './errors.ts';
import { canonicalJson, describeError, isJsonObject, isPolicyName, type ReadImportOptions, type Report } from './common.ts';
import { parseIsoDateTime } from './dates.ts';
import { identity, parseSnapshot, type Snapshot } from './iamtrail.ts';
import { versionNumber } from './versions.ts';

const POLICY_PREFIX = 'policies/';
const DEPRECATED_FILE = 'DEPRECATED.json';
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
// A repository's own configuration must not make reading it run anything.
const SAFE_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'];

/** The git directory of `dir` when it is itself a clone (work tree or bare), else undefined. */
export function gitDirOf(dir: string): string | undefined {
  if (existsSync(join(dir, '.git'))) return join(dir, '.git');
  if (existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'))) return dir;
  return undefined;
}

function gitSync(gitDir: string, args: string[]): { ok: boolean; out: string; missing: boolean; err: string } {
  const r = spawnSync('git', [...SAFE_CONFIG, `--git-dir=${gitDir}`, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), missing, err: (r.stderr ?? r.error?.message ?? '').trim() };
}

export interface GitRepoInfo {
  gitDir: string;
  head: string;
  /** The oldest root commit: names the history whatever the clone is called (the resume key). */
  root: string;
}

/**
 * The repository facts an IAMTrail git import needs, or undefined when `dir` is not a clone whose
 * HEAD has a policies/ folder. Throws ImportError when it is a clone but git cannot read it.
 */
export function detectIamtrailRepo(dir: string): GitRepoInfo | undefined {
  const gitDir = gitDirOf(dir);
  if (!gitDir) return undefined;
  const head = gitSync(gitDir, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
  if (head.missing) throw new ImportError('unreadable', dir, 'is a git clone, but the git command is not installed: install git to import its history');
  if (!head.ok || !SHA.test(head.out)) return undefined;
  if (!gitSync(gitDir, ['cat-file', '-e', `${head.out}:policies`]).ok) return undefined;
  const roots = gitSync(gitDir, ['rev-list', '--max-parents=0', head.out]);
  const root = roots.out.split('\n').filter((l) => SHA.test(l)).at(-1);
  if (!roots.ok || !root) throw new ImportError('unreadable', dir, `cannot list the root commit: ${roots.err}`);
  return { gitDir, head: head.out, root };
}

/** What one read covered: the caller records `head` as imported once the import has succeeded. */
export interface GitReadResult {
  resumeKey: string;
  head: string;
  /** The commit the read started after (undefined: the whole history). */
  since: string | undefined;
  commits: number;
}

interface PathChange {
  time: number;
  commit: string;
  /** undefined: the file was removed. */
  blob: string | undefined;
}

const EMPTY_BLOB = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

/** Lines of a git command's output, streamed; rejects with git's message when it fails. */
async function* gitLines(gitDir: string, args: string[]): AsyncGenerator<string> {
  const child = spawn('git', [...SAFE_CONFIG, `--git-dir=${gitDir}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) yield line;
    const code = await exited;
    if (code !== 0) throw new Error(`git ${args[0]} failed (${code}): ${stderr.trim()}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/**
 * Reads blobs through one `git cat-file --batch`: ask() queues ids, next() returns the contents in
 * the order asked.
 */
class BlobReader {
  private readonly child;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private waiting: (() => void) | undefined;
  private ended = false;
  private failure: Error | undefined;

  constructor(gitDir: string) {
    this.child = spawn('git', [...SAFE_CONFIG, `--git-dir=${gitDir}`, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      this.wake();
    });
    this.child.stdout.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.child.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    this.child.stdin.on('error', () => {}); // a dead child shows up on stdout's end
  }

  private wake() {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  ask(ids: readonly string[]): void {
    if (ids.length > 0) this.child.stdin.write(`${ids.join('\n')}\n`);
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered < n) {
      if (this.failure) throw this.failure;
      if (this.ended) throw new Error('git cat-file ended early');
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks.length = 0;
    if (rest.length > 0) this.chunks.push(rest);
    this.buffered = rest.length;
    return out;
  }

  async next(): Promise<string> {
    // Header: "<id> blob <size>\n" (or "<id> missing\n").
    let nl: number;
    for (;;) {
      const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
      if (this.chunks.length > 1) {
        this.chunks.length = 0;
        this.chunks.push(all);
      }
      nl = all.indexOf(10);
      if (nl >= 0) break;
      await this.fill(this.buffered + 1);
    }
    const header = this.take(nl + 1).toString('utf8').trim();
    const m = /^([0-9a-f]+) blob (\d+)$/.exec(header);
    if (!m) throw new Error(`git cat-file: unexpected answer "${header}"`);
    const size = Number(m[2]);
    await this.fill(size + 1);
    return this.take(size + 1).subarray(0, size).toString('utf8');
  }

  close(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** DEPRECATED.json: {"<PolicyName>": "<YYYY-MM-DD>" | "Unknown"}, until mid-2025 a list of names. */
function parseDeprecated(text: string, where: string, report: Report): Map<string, string> {
  try {
    const data: unknown = JSON.parse(text);
    if (isJsonObject(data)) return new Map(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
    if (Array.isArray(data)) return new Map(data.filter((n): n is string => typeof n === 'string').map((n) => [n, '']));
    report({ code: 'invalid-shape', file: where, message: 'expected a list of policy names or an object keyed by policy name; ignored' });
  } catch (err) {
    report({ code: 'invalid-json', file: where, message: `not valid JSON (${describeError(err)}); ignored` });
  }
  return new Map();
}

/** A stated YYYY-MM-DD date (midnight UTC), else undefined ("Unknown"). */
function statedDate(text: string): Date | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseIsoDateTime(`${text}T00:00:00Z`) : undefined;
}

export interface GitReadOptions extends ReadImportOptions {
  /** The last commit imported completely from the repository with this root (see GitRepoInfo). */
  resumeAfter?: (resumeKey: string) => Promise<string | undefined>;
}

/**
 * Reads the history of an IAMTrail clone. `done` receives what was read once the last policy has
 * been yielded.
 */
export async function* readIamtrailGit(
  repo: GitRepoInfo, opts: GitReadOptions, report: Report, done: (r: GitReadResult) => void,
): AsyncGenerator<ImportedPolicy> {
  const { gitDir, head } = repo;
  const resumeKey = `iamtrail-git:${repo.root}`;
  let since = await opts.resumeAfter?.(resumeKey);
  if (since !== undefined && (!SHA.test(since) || !gitSync(gitDir, ['merge-base', '--is-ancestor', since, head]).ok)) {
    report({ code: 'invalid-shape', file: gitDir, message: `last imported commit ${since} is not in this history any more; reading the whole history` });
    since = undefined;
  }

  // One pass over the commits: per path, its changes in commit order.
  const changes = new Map<string, PathChange[]>();
  const deprecatedChanges: PathChange[] = [];
  let commits = 0;
  let commit = '';
  let time = 0;
  const range = since ? `${since}..${head}` : head;
  const logArgs = ['log', '--reverse', '--first-parent', '--diff-merges=first-parent', '--raw', '--no-renames', '--no-abbrev', '--format=C %H %ct', range, '--', 'policies', DEPRECATED_FILE];
  for await (const line of gitLines(gitDir, logArgs)) {
    if (line.startsWith('C ')) {
      const [, sha, ct] = line.split(' ');
      commit = sha ?? '';
      time = Number(ct) * 1000;
      commits++;
      continue;
    }
    // :<old mode> <new mode> <old blob> <new blob> <status>\t<path>
    const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) ([AMDT])\d*\t(.+)$/.exec(line);
    if (!m) continue;
    const [, blob, status, path] = m as unknown as [string, string, string, string];
    const change: PathChange = { time, commit, blob: status === 'D' ? undefined : blob };
    if (path === DEPRECATED_FILE) deprecatedChanges.push(change);
    else if (path.startsWith(POLICY_PREFIX) && !path.slice(POLICY_PREFIX.length).includes('/')) {
      const name = path.slice(POLICY_PREFIX.length);
      const list = changes.get(name);
      if (list) list.push(change);
      else changes.set(name, [change]);
    }
  }

  const blobs = new BlobReader(gitDir);
  try {
    // Deprecations: a name's first appearance in DEPRECATED.json within the range (names present
    // at `since` were imported then), at its stated date or else that commit's time.
    const deprecatedAt = new Map<string, Date>();
    const atSince = since ? gitSync(gitDir, ['rev-parse', '--verify', '-q', `${since}:${DEPRECATED_FILE}`]) : undefined;
    const baseline = atSince?.ok ? atSince.out : undefined;
    const depBlobs = [...(baseline ? [baseline] : []), ...deprecatedChanges.flatMap((c) => (c.blob ? [c.blob] : []))];
    blobs.ask(depBlobs);
    let seenNames = new Set<string>();
    if (baseline) seenNames = new Set(parseDeprecated(await blobs.next(), `${since}:${DEPRECATED_FILE}`, report).keys());
    for (const c of deprecatedChanges) {
      if (!c.blob) continue;
      const listed = parseDeprecated(await blobs.next(), `${c.commit}:${DEPRECATED_FILE}`, report);
      for (const [name, stated] of listed) {
        if (seenNames.has(name) || deprecatedAt.has(name)) continue;
        deprecatedAt.set(name, statedDate(stated) ?? new Date(c.time));
      }
      seenNames = new Set([...seenNames, ...listed.keys()]);
    }

    const names = [...new Set([...changes.keys(), ...deprecatedAt.keys()])].sort();
    // Blobs are asked for one policy ahead, so git works while the previous policy is parsed.
    const wanted = (name: string) => [...new Set((changes.get(name) ?? []).flatMap((c) => (c.blob && c.blob !== EMPTY_BLOB ? [c.blob] : [])))];
    if (names[0]) blobs.ask(wanted(names[0]));
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const ids = wanted(name);
      if (names[i + 1]) blobs.ask(wanted(names[i + 1] as string));
      const texts = new Map<string, string>();
      for (const id of ids) texts.set(id, await blobs.next());
      if (!isPolicyName(name)) {
        report({ code: 'invalid-shape', file: `${POLICY_PREFIX}${name}`, message: `${JSON.stringify(name)} is not a valid IAM policy name; skipped` });
        continue;
      }
      const policy = policyFromChanges(name, changes.get(name) ?? [], texts, report);
      const retired = deprecatedAt.get(name) ?? policy?.vanishedAt;
      if (!policy) {
        // Listed as deprecated, no file in this range: only a policy the history ever held.
        if (!retired || !gitSync(gitDir, ['log', '-1', '--format=%H', head, '--', `${POLICY_PREFIX}${name}`]).out) continue;
        yield { name, ...identity(name, opts), versions: [], deprecatedAt: retired };
        continue;
      }
      if (policy.versions.length === 0 && !retired) continue;
      yield {
        name, ...identity(name, opts), defaultVersionId: policy.defaultVersionId, versions: policy.versions, ...(retired ? { deprecatedAt: retired } : {}),
      };
    }
  } finally {
    blobs.close();
  }
  done({ resumeKey, head, since, commits });
}

/**
 * One policy's snapshots in commit order → its versions (each VersionId once: the last snapshot's
 * data, the first snapshot's commit time as IAMTrail's first sighting), the default (the last
 * snapshot's version when it said so), and when the file vanished (removed or emptied, and not
 * refilled).
 */
function policyFromChanges(name: string, list: readonly PathChange[], texts: ReadonlyMap<string, string>, report: Report) {
  if (list.length === 0) return undefined;
  const byVersion = new Map<string, { snap: Snapshot; first: number; where: string }>();
  let last: Snapshot | undefined;
  let vanishedAt: Date | undefined;
  for (const c of list) {
    const where = `${c.commit}:${POLICY_PREFIX}${name}`;
    if (!c.blob || c.blob === EMPTY_BLOB) {
      vanishedAt ??= new Date(c.time);
      continue;
    }
    vanishedAt = undefined;
    const snap = parseSnapshot(texts.get(c.blob) ?? '', where, name, report);
    if (!snap) continue;
    last = snap;
    const prev = byVersion.get(snap.versionId);
    if (prev && canonicalJson(prev.snap.document) !== canonicalJson(snap.document)) {
      report({ code: 'conflicting-version', file: where, policy: name, versionId: snap.versionId, message: `document differs from the same version in ${prev.where}; the later snapshot is kept` });
    }
    // A different CreateDate under a VersionId seen before is a re-created policy's new version:
    // IAMTrail first saw it now.
    const same = prev && prev.snap.createDate?.getTime() === snap.createDate?.getTime();
    byVersion.set(snap.versionId, { snap, first: same ? prev.first : c.time, where });
  }
  const versions: ImportedVersion[] = [...byVersion.values()]
    .sort((a, b) => versionNumber(a.snap.versionId) - versionNumber(b.snap.versionId))
    .map(({ snap, first }) => ({ ...snap, isDefault: false, observedBy: { observer: 'iamtrail' as const, at: new Date(first) } }));
  const defaultVersionId = last?.isDefault ? last.versionId : undefined;
  for (const v of versions) v.isDefault = v.versionId === defaultVersionId;
  return { versions, defaultVersionId, vanishedAt };
}

const execFileP = promisify(execFile);

/**
 * Keeps a local mirror of an IAMTrail repository (git URL or path) current: clones it the first
 * time, fetches afterwards. Throws with git's own message when the remote cannot be reached. The
 * remote is the operator's configuration, not request input; git's own transport reaches it.
 */
export async function updateMirror(remote: string, mirrorDir: string, signal?: AbortSignal): Promise<{ cloned: boolean }> {
  const opts = {
    signal, timeout: 15 * 60_000, maxBuffer: 4 * 1024 * 1024,
    // Never wait for a password prompt; give up on a stalled transfer.
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_HTTP_LOW_SPEED_LIMIT: '1000', GIT_HTTP_LOW_SPEED_TIME: '60' },
  };
  const git = (args: string[]) => execFileP('git', [...SAFE_CONFIG, ...args], opts).catch((err: unknown) => {
    const e = err as { stderr?: string; message?: string; code?: unknown };
    if (e.code === 'ENOENT') throw new Error('the git command is not installed');
    throw new Error((e.stderr?.trim() || e.message || String(err)).split('\n').slice(-3).join(' '), { cause: err });
  });
  if (existsSync(join(mirrorDir, 'HEAD'))) {
    await git([`--git-dir=${mirrorDir}`, 'fetch', '--prune', '--quiet', 'origin']);
    return { cloned: false };
  }
  mkdirSync(dirname(mirrorDir), { recursive: true });
  // "--" keeps a remote that starts with "-" from being read as an option.
  await git(['clone', '--mirror', '--quiet', '--', remote, mirrorDir]);
  return { cloned: true };
}
