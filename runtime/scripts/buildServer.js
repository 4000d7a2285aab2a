// Builds the server and the attest command into runtime/dist/attest.js: the runtime, the engine and
// the plugin API as one ES module, with a source map; every npm package stays an import. What
// production runs is this file, not the TypeScript sources.
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/attest.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [
    {
      name: 'npm-packages-stay-imports',
      setup(esbuild) {
        // Workspace packages (@attest/*) are TypeScript sources: they are built in. Everything
        // else that is not a relative path is a package of node_modules or of Node itself.
        esbuild.onResolve({ filter: /^[^./]/ }, ({ path }) =>
          path.startsWith('@attest/') ? undefined : { path, external: true },
        );
      },
    },
  ],
});
