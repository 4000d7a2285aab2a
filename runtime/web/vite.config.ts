import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { strictCsp } from '@attest/designer/build/strictCsp';

/**
 * The web app, built into runtime/web/dist and served by the runtime under its strict
 * Content-Security-Policy: no inline script, no eval, so no module-preload polyfill either.
 * formio.js (the step view's form renderer) is its own chunk, loaded when a step opens.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  plugins: [strictCsp()],
  // Some of formio.js's CommonJS dependencies name Node's `global`.
  define: { global: 'globalThis' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: 'es2022',
    assetsInlineLimit: 0,
    // The formio.js chunk is ~1.5 MB before gzip (~400 kB after) and the designer's (bpmn-js, the
    // form builder) ~1.9 MB; each loads only with the page that needs it.
    chunkSizeWarningLimit: 2000,
  },
});
