#!/usr/bin/env node
// The attest command: runs the runtime as `npm run build` built it (runtime/dist/attest.js), with
// its source map for stack traces. `runtime/bin/attest-dev.js` runs the TypeScript sources instead.
import { existsSync } from 'node:fs';

const built = new URL('../dist/attest.js', import.meta.url);
if (!existsSync(built)) {
  console.error('attest: the runtime is not built; run `npm run build` first');
  process.exit(1);
}
process.setSourceMapsEnabled(true);
await import(built.href);
