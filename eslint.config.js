import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:vm', message: 'Expressions are FEEL; never evaluate JavaScript.' },
            { name: 'vm', message: 'Expressions are FEEL; never evaluate JavaScript.' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['runtime/web/src/**', 'designer/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Rules that need the types: a promise nobody awaits loses its error, and an async function
    // handed to something that ignores its promise (an event listener, a callback) does too.
    files: ['**/*.ts'],
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
