// Builds an IAMTrail-shaped git repository in a temporary folder from the real-history fixture:
// one commit per upstream commit the manifest names, with its real commit date and the files'
// bytes as they were, at policies/<PolicyName>.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR } from './paths.ts';

export interface ManifestEntry { file: string; commit: string; commitDateUTC: string; VersionId: string; CreateDate: string }
export type Manifest = Record<string, { entries: ManifestEntry[] }>;

export const manifest = (): Manifest => JSON.parse(readFileSync(join(CORPUS_DIR, 'manifest.json'), 'utf8')) as Manifest;

export interface FixtureCommit { commit: string; date: string; files: { policy: string; file: string }[] }

/** The fixture's commits in date order, each with the files it changed. */
export function fixtureCommits(m: Manifest = manifest()): FixtureCommit[] {
  const byCommit = new Map<string, FixtureCommit>();
  for (const [policy, { entries }] of Object.entries(m)) {
    for (const e of entries) {
      const c = byCommit.get(e.commit) ?? { commit: e.commit, date: e.commitDateUTC, files: [] };
      c.files.push({ policy, file: e.file });
      byCommit.set(e.commit, c);
    }
  }
  return [...byCommit.values()].sort((a, b) => a.date.localeCompare(b.date));
}

export class TempRepo {
  readonly dir: string;
  constructor(t: { after(fn: () => void | Promise<void>): unknown }) {
    this.dir = mkdtempSync(join(tmpdir(), 'pw-iamtrail-'));
    t.after(() => rmSync(this.dir, { recursive: true, force: true }));
    this.git('init', '-q', '-b', 'master');
    mkdirSync(join(this.dir, 'policies'));
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=IAMTrail', '-c', 'user.email=iamtrail@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
      cwd: this.dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: this.date, GIT_COMMITTER_DATE: this.date },
    }).trim();
  }

  private date = '2019-02-10T18:13:13Z';

  /** Commits the given files (content or undefined to remove) at `date` (ISO 8601). */
  commit(date: string, files: Record<string, string | undefined>, message = 'Update detected'): string {
    this.date = date;
    for (const [path, content] of Object.entries(files)) {
      if (content === undefined) this.git('rm', '-q', path);
      else {
        writeFileSync(join(this.dir, path), content);
        this.git('add', path);
      }
    }
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** Replays fixture commits. */
  replay(commits: readonly FixtureCommit[]): void {
    for (const c of commits) {
      this.commit(c.date, Object.fromEntries(c.files.map((f) => [`policies/${f.policy}`, readFileSync(join(CORPUS_DIR, f.policy, f.file), 'utf8')])));
    }
  }
}
