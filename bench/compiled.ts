// The service runs compiled (npm start and the container run dist/), so the benches that measure
// memory or CPU build dist/ with the bench sources and run their measured children from there:
// tsx's loader thread and transform caches add ~70–100 MB of RSS the service never has. A bench
// file therefore runs as TypeScript (through tsx) or compiled (dist/bench/<name>.js).
import { spawnSync } from 'node:child_process';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../src/core/paths.ts';

/** Whether the bench file at `self` (its own fileURLToPath(import.meta.url)) is the compiled one. */
export const isCompiled = (self: string) => extname(self) === '.js';

/** Node arguments that run `script` the way it was built: compiled as is, TypeScript through tsx. */
export const nodeArgs = (script: string, compiled: boolean) => (compiled ? [script] : ['--import', 'tsx', script]);

/** Builds dist/ with the benches (scripts/build.mjs --bench, a no-op when current); the compiled `name`.bench.js. */
export function compileBench(name: string): { script: string; compiled: true } {
  const build = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'build.mjs'), '--bench'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`node scripts/build.mjs --bench exited ${build.status}`);
  return { script: join(PACKAGE_ROOT, 'dist', 'bench', `${name}.bench.js`), compiled: true };
}

/**
 * The Node flags the service is launched with (scripts/node-flags.mjs), then `extra` (a bench's
 * --node-flag options; V8 takes the last value of a repeated flag, so an extra one overrides).
 * Measured children get them so a bench measures the service as npm start and the container run it.
 * Read at run time through the package root: the compiled bench (dist/bench/) has no scripts/ beside it.
 */
export async function serviceNodeFlags(extra: readonly string[] = []): Promise<string[]> {
  const { NODE_FLAGS } = (await import(pathToFileURL(join(PACKAGE_ROOT, 'scripts', 'node-flags.mjs')).href)) as { NODE_FLAGS: string[] };
  return [...NODE_FLAGS, ...extra];
}
