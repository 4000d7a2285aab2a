import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web app, built into runtime/web/dist and served by the runtime under its strict
 * Content-Security-Policy: no inline script, no eval, so no module-preload polyfill either.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: 'es2022',
    assetsInlineLimit: 0,
  },
});
