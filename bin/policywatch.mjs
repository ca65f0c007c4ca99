#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the compiled build (dist/, from `npm run build`; npm start and the container make it) while
// it matches the sources, else the TypeScript sources through tsx: an edit never runs stale code.
import { buildIsCurrent } from '../scripts/source-hash.mjs';

async function runSources() {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}

if (!buildIsCurrent()) {
  await runSources();
} else {
  try {
    await import('../dist/src/cli.js');
  } catch (err) {
    // A file missing from dist/ fails while modules are linked, before any of them ran: the
    // sources can take over safely. Any other error is the program's own and propagates.
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('/dist/')) throw err;
    await runSources();
  }
}
