#!/usr/bin/env node
// Runs the TypeScript sources through tsx: one artefact for dev, CI and the container.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
