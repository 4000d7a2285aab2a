import { NotFoundError, requirePermission, type Engine } from '@attest/engine';
import { json, ok, operation } from '../operation.ts';

const NO_SINK = 'This installation takes no signed checkpoints of its audit trail';

const checkpointSummary = {
  type: 'object',
  description: 'A signed checkpoint of the audit trail, as written to the sink outside the database',
  additionalProperties: false,
  required: ['seq', 'at', 'root', 'counts', 'written', 'sink'],
  properties: {
    seq: { type: 'integer', description: 'Its number in the sink' },
    at: { type: 'string', format: 'date-time' },
    root: { type: 'string', description: 'Merkle root over the heads of all hash chains' },
    counts: {
      type: 'object',
      additionalProperties: false,
      required: ['chains', 'events', 'records'],
      properties: { chains: { type: 'integer' }, events: { type: 'integer' }, records: { type: 'integer' } },
    },
    written: { type: 'boolean', description: 'False when nothing had changed and the last one stands' },
    sink: { type: 'string', description: 'Where checkpoints are kept' },
  },
} as const;

export function auditOperations(engine: Engine) {
  return [
    operation({
      id: 'checkpointKey',
      method: 'get',
      path: '/api/audit/checkpoint-key',
      tag: 'audit',
      summary: 'The public key that verifies the signed checkpoints of the audit trail (Ed25519, PEM) (C3)',
      access: 'public',
      responses: {
        200: {
          description: 'The public key in SPKI PEM',
          content: { 'application/x-pem-file': { type: 'string' } },
        },
      },
      problems: [404],
      handle: async () => {
        if (!engine.checkpoints) throw new NotFoundError(NO_SINK);
        return {
          status: 200 as const,
          body: engine.checkpoints.key.publicPem,
          contentType: 'application/x-pem-file',
        };
      },
    }),
    operation({
      id: 'takeCheckpoint',
      method: 'post',
      path: '/api/audit/checkpoints',
      tag: 'audit',
      summary: 'Sign a checkpoint of the audit trail now, if anything changed since the last (C3)',
      description:
        'Administrators only (config.manage). Refused (409) when a chain no longer holds what an ' +
        'earlier checkpoint signed: a checkpoint never certifies tampering.',
      access: 'session',
      responses: { 200: json('The checkpoint', checkpointSummary) },
      problems: [404, 409],
      handle: async ({ principal }) => {
        requirePermission(principal, 'config.manage');
        if (!engine.checkpoints) throw new NotFoundError(NO_SINK);
        const { checkpoint, written } = await engine.checkpoints.take();
        const { seq, at, root, counts } = checkpoint;
        return ok({ seq, at, root, counts, written, sink: engine.checkpoints.sink.description });
      },
    }),
  ];
}
