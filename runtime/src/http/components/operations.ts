import type { Schema } from '../schema.ts';
import { closed, string, instant, id } from './shared.ts';

/** Incidents, health and readiness. */
export const OPERATION_COMPONENTS = {
  Incident: closed(
    {
      id,
      instanceId: id,
      elementId: { type: 'string', description: 'Where the instance is stuck' },
      message: string,
      createdAt: instant,
    },
    'Where an instance cannot go on by itself, e.g. no outgoing flow matches; retried by a person',
  ),
  Health: closed(
    {
      status: { const: 'ok' },
      database: { type: 'string', enum: ['postgres', 'embedded'] },
      version: string,
    },
    'The service is up',
  ),
  Readiness: closed(
    {
      status: { const: 'ready' },
      checks: { type: 'array', items: string, description: 'What was checked, each in order' },
    },
    'The runtime is ready to serve',
  ),
} satisfies Record<string, Schema>;
