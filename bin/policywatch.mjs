#!/usr/bin/env node
// Runs the compiled build (dist/, from `npm run build`; npm start and the container make it) while
// it matches the sources, else the TypeScript sources through tsx: an edit never runs stale code.
import { buildIsCurrent } from '../scripts/source-hash.mjs';

if (buildIsCurrent()) {
  await import('../dist/src/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
