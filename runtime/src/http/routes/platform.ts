import type { Engine } from '@attest/engine';
import { ref } from '../components.ts';
import { json, ok, operation } from '../operation.ts';
import { HttpProblem } from '../problem.ts';

export function platformOperations(engine: Engine, version: string, document: () => object) {
  return [
    operation({
      id: 'health',
      method: 'get',
      path: '/api/health',
      tag: 'platform',
      summary: 'Whether the service is up and its database answers, and which database it is',
      access: 'public',
      responses: { 200: json('Up', ref('Health')) },
      problems: [503],
      handle: async () => {
        if (!(await engine.database.ping()))
          throw new HttpProblem('unavailable', 'The database does not answer');
        return ok({ status: 'ok', database: engine.database.kind, version });
      },
    }),
    operation({
      id: 'openApiDocument',
      method: 'get',
      path: '/api/openapi.json',
      tag: 'platform',
      summary: 'This document',
      access: 'public',
      responses: { 200: json('The OpenAPI 3.1 document', { type: 'object' }) },
      handle: async () => ok(document()),
    }),
  ];
}
