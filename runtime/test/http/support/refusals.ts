import assert from 'node:assert/strict';
import type { Engine, Principal } from '@attest/engine';
import { assertProblem, type ApiResponse } from './api.ts';

/**
 * A 400 input problem with an error at `pointer` (of `keyword`, when one is named); `what` names
 * the request in the failure message.
 */
export function expectInput(response: ApiResponse, pointer: string, keyword?: string, what?: string): void {
  const problem = assertProblem(response, 400, 'input');
  assert.ok(
    problem.errors?.some((e) => e.pointer === pointer && (keyword === undefined || e.keyword === keyword)),
    `${what ? `${what}: ` : ''}expected ${keyword ?? 'an error'} at ${pointer}, got ${JSON.stringify(problem.errors)}`,
  );
}

/**
 * `changesNothing(requests)` for a state: runs requests that must each be refused, then checks
 * that the state is as it was before them.
 */
export function changesNothingTo(state: () => Promise<unknown>, message?: string) {
  return async (requests: () => Promise<void>): Promise<void> => {
    const before = await state();
    await requests();
    assert.deepEqual(await state(), before, message);
  };
}

/** Everything the process operations can change, as QA, an operator and the administrator see it; every change is in the audit trail, too. */
export async function processState(
  engine: Engine,
  { qa, operator, admin }: { qa: Principal; operator: Principal; admin: Principal },
) {
  const { processes, tasks, incidents, audit } = engine;
  return {
    definitions: await processes.listDefinitions(qa),
    tasks: [await tasks.list(qa), await tasks.list(operator)],
    incidents: await incidents.list(qa),
    events: await audit.trail(admin, { limit: 1_000_000 }),
  };
}
