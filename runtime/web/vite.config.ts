import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web app, built into runtime/web/dist and served by the runtime under its strict
 * Content-Security-Policy: no inline script, no eval, so no module-preload polyfill either.
 * formio.js (the step view's form renderer) is its own chunk, loaded when a step opens.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  // Some of formio.js's CommonJS dependencies name Node's `global`.
  define: { global: 'globalThis' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: 'es2022',
    assetsInlineLimit: 0,
    // The formio.js chunk is ~1.5 MB before gzip (~400 kB after); the task list does not load it.
    chunkSizeWarningLimit: 1600,
  },
});
