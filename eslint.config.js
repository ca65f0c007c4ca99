// Lint runs in CI next to the type-check; generated Prisma code is not ours to lint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['scratch/**', 'node_modules/**', 'src/db/generated/**', 'data/**', 'dist/**', 'dashboard/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/db/generated/**', '@prisma/client', '@prisma/adapter-pg', 'pglite-prisma-adapter'], message: 'Only src/db may import Prisma.' }],
      }],
    },
  },
  {
    // Plain-JS scripts run on Node; undefined names are caught by running them.
    files: ['**/*.mjs', '**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['src/db/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Outbound HTTP goes through the one outbound-URL guard (src/sources/outbound/) only.
    files: ['src/**/*.ts'],
    ignores: ['src/sources/outbound/**'],
    rules: { 'no-restricted-globals': ['error', { name: 'fetch', message: 'Use the outbound-URL guard (src/sources/outbound/).' }] },
  },
  {
    files: ['src/diff/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['node:fs*', 'node:http*', 'node:net', 'pino', '**/db/**', '**/services/**', '**/sources/**'], message: 'src/diff is pure: no IO, no logger, no storage.' }],
      }],
    },
  },
);
