// Runs every bench/*.bench.ts, one after the other (never in parallel: they measure wall time
// and peak memory on a 2-core machine), each in its own Node process.
//   npm run bench                                   all benches
//   npm run bench -- ingest                         only files whose name contains "ingest"
//   npm run bench -- ingest -- --backend postgres   arguments after "--" go to every bench run
// Exit code: 0 when every bench exited 0 (benches measure, they do not assert goals).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const filters = sep < 0 ? argv : argv.slice(0, sep);
const passThrough = sep < 0 ? [] : argv.slice(sep + 1);

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no bench/*.bench.ts matches ${filters.join(', ') || '(any)'}`);
  process.exit(1);
}

const failed: string[] = [];
for (const f of files) {
  console.log(`\n=== ${f} ${passThrough.join(' ')}`.trimEnd());
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f), ...passThrough], { stdio: 'inherit' });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) failed.push(f);
  console.log(`=== ${f}: ${r.status === 0 ? 'done' : `exit ${r.status ?? r.signal}`} in ${s} s`);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
