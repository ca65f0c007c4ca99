// Runs bin/policywatch.mjs as a child process, the way an operator or cron would, with an
// environment holding only what the test gives it (plus PATH/HOME and the like).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { REPO_DIR } from './paths.ts';

export const CLI = join(REPO_DIR, 'bin', 'policywatch.mjs');

/** Variables the app, the AWS SDK or the test runner read; never inherited by a child. */
const SCRUB = /^(DATABASE_URL|HOST|PORT|LOG_LEVEL|POLICYWATCH_|AWS_|NODE_TEST_CONTEXT|NODE_OPTIONS)/;

const SCRATCH_DATA_DIR = join(tmpdir(), `pw-cli-data-${process.pid}`);
process.once('exit', () => rmSync(SCRATCH_DATA_DIR, { recursive: true, force: true }));

export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUB.test(k)) out[k] = v;
  // A child that falls back to embedded PGlite must not touch the repository's ./data.
  out.POLICYWATCH_DATA_DIR = SCRATCH_DATA_DIR;
  // No stray ~/.aws files or instance metadata lookups for a child aimed at the fake.
  out.AWS_EC2_METADATA_DISABLED = 'true';
  out.AWS_CONFIG_FILE = '/dev/null';
  out.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Environment for a child pointed at a fake IAM endpoint. */
export function fakeAwsEnv(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL_IAM: endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test-secret', AWS_REGION: 'us-east-1' };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the guard killed a process that did not exit in time (a hang, not a result). */
  hung: boolean;
}

export interface CliProcess {
  child: ChildProcess;
  /** Settles when the process has exited and its output is drained. */
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  exited(): boolean;
}

export interface SpawnOptions {
  /**
   * Hang guard: SIGKILL the process if it is still running after this long and report hung.
   * Not a timing assertion; a command that should exit must not stall the suite if it does not.
   */
  hangGuardMs?: number;
  /**
   * Run it as `npm link`/`npm install -g` installs it: a `policywatch` symlink to the script on the
   * PATH, executed directly, so its shebang (`env -S node <flags>`) starts Node. Default: `node <script>`.
   */
  linked?: boolean;
}

/** A directory holding only a `policywatch` symlink to bin/policywatch.mjs, as npm's bin directory does. */
function linkedBinDir(): string {
  const dir = join(SCRATCH_DATA_DIR, 'bin');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(CLI, join(dir, 'policywatch'));
  return dir;
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, o: SpawnOptions = {}): CliProcess {
  const childEnv = cliEnv(env);
  // The shebang's `env` finds node on the PATH: this test's node first, as npm's would be.
  if (o.linked) childEnv.PATH = [linkedBinDir(), dirname(process.execPath), childEnv.PATH].join(delimiter);
  const child = o.linked
    ? spawn('policywatch', args, { cwd: REPO_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [CLI, ...args], { cwd: REPO_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited = false;
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, o.hangGuardMs ?? 120_000);
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      exited = true;
      clearTimeout(guard);
      resolve({ code, signal, stdout: out, stderr: err, hung });
    });
  });
  return { child, done, stdout: () => out, stderr: () => err, exited: () => exited };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, o: SpawnOptions = {}): Promise<CliResult> {
  return spawnCli(args, env, o).done;
}

/** Kills a child still running at the end of a test (a failed assertion must not leave it). */
export function killIfRunning(p: CliProcess): void {
  if (!p.exited() && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/**
 * A watchdog for a condition that must never become true while a test waits on something else:
 * `tripped` rejects with `message` if it does; `cancel()` stops watching (tripped then never settles).
 */
export function watchdog(what: string, condition: () => boolean | Promise<boolean>, message: () => string): { tripped: Promise<never>; cancel(): void } {
  let cancelled = false;
  const tripped = waitFor(what, condition, { timeoutMs: Number.MAX_SAFE_INTEGER, intervalMs: 50, abortIf: () => (cancelled ? 'cancelled' : undefined) })
    .then(
      () => {
        throw new Error(message());
      },
      (err: unknown) => {
        if (cancelled) return new Promise<never>(() => {});
        throw err;
      },
    );
  return { tripped, cancel: () => void (cancelled = true) };
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, o: { timeoutMs?: number; intervalMs?: number; abortIf?: () => string | undefined } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    const stop = o.abortIf?.();
    if (stop) throw new Error(`gave up waiting for ${what}: ${stop}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 25));
  }
}
