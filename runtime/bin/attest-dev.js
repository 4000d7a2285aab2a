#!/usr/bin/env node
// The attest command on the TypeScript sources, through tsx, for development only: production runs
// the built runtime/dist/attest.js (runtime/bin/attest.js).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
