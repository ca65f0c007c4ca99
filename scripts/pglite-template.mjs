#!/usr/bin/env node
// Makes the PGlite template for the installed PGlite and the current migrations unless it exists
// (src/db/make-pglite-template.ts): scripts/build.mjs runs it beside the compiler. It runs the
// sources through tsx, so it needs no dist/ and can overlap with the build of it.
import { register } from 'tsx/esm/api';

register();
const { makePgliteTemplate } = await import('../src/db/make-pglite-template.ts');
const started = performance.now();
const { file, made } = await makePgliteTemplate();
if (made) console.error(`policywatch: made the embedded database template ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
