import { BpmnError, type ServiceContext, type ServiceHandler } from '@attest/plugin-api';

/** What a handler did with one context: the variables it set, or the BPMN error it threw or returned. */
export type HandlerOutcome =
  | { kind: 'variables'; variables: Record<string, unknown> }
  | { kind: 'error'; code: string; message: string | null };

/**
 * Runs a service handler once, as the engine's job worker would, without a server or a database:
 * the context is completed with defaults (attempt 1, a fixed idempotency key: pass the same key with
 * a later attempt to try a retry), and the result is checked as the engine checks it.
 * Anything other than variables or a BPMN error — a failure the engine would retry — is thrown.
 */
export async function runHandler(
  handler: ServiceHandler,
  context: Partial<ServiceContext> & Pick<ServiceContext, 'variables'>,
): Promise<HandlerOutcome> {
  const full: ServiceContext = {
    instanceId: '00000000-0000-4000-8000-000000000000',
    businessKey: null,
    elementId: 'task',
    attempt: 1,
    idempotencyKey: '00000000-0000-4000-8000-000000000001',
    ...context,
  };
  let result;
  try {
    result = await handler(full);
  } catch (error) {
    if (error instanceof BpmnError) return { kind: 'error', code: error.code, message: error.message };
    throw error;
  }
  if (result === undefined || result === null) return { kind: 'variables', variables: {} };
  if ('error' in result)
    return { kind: 'error', code: result.error.code, message: result.error.message ?? null };
  const variables = result.variables ?? {};
  if (typeof variables !== 'object' || Array.isArray(variables))
    throw new Error('A handler’s variables must be an object of names and values');
  JSON.stringify(variables); // what cannot be stored as JSON fails here, as it would in the engine
  return { kind: 'variables', variables };
}
