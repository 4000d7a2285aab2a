import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NO_EVAL_MODULES = [
  { name: 'node:vm', message: 'Expressions are FEEL; never evaluate JavaScript.' },
  { name: 'vm', message: 'Expressions are FEEL; never evaluate JavaScript.' },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', '**/dist/**', '.test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-imports': ['error', { paths: NO_EVAL_MODULES }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['runtime/web/src/**', 'designer/src/**', 'task-form/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Browser code never takes the server's code (scripts/boundaries.ts checks that no relative
      // import leaves a package).
      'no-restricted-imports': [
        'error',
        {
          paths: NO_EVAL_MODULES,
          patterns: [
            {
              regex: '^(node:|@attest/runtime(/|$)|@attest/engine(/(?!browser$)|$))',
              message: 'Browser code imports no server code; the engine offers @attest/engine/browser.',
            },
          ],
        },
      ],
    },
  },
  {
    // A source file is one concept; past 800 lines it is two.
    files: ['*/src/**/*.{ts,tsx}', 'runtime/web/src/**/*.{ts,tsx}', 'plugins/*/src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 800 }] },
  },
  {
    // Rules that need the types: a promise nobody awaits loses its error, and an async function
    // handed to something that ignores its promise (an event listener, a callback) does too.
    files: ['**/*.{ts,tsx}'],
    ignores: ['runtime/web/vite.config.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
