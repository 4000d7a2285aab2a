import assert from 'node:assert/strict';
import { demoPassword, loginAs } from '../../../../engine/test/support/testEngine.ts';
import { effectiveExceptionTemplates } from '../../../../engine/test/exceptions/fixtures.ts';
import type { ApiResponse, DemoUser, TestApi } from './api.ts';

/** Calls the API as a demo user signed in over HTTP. */
export type Caller = (who: DemoUser, method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/**
 * The batch templates of the exception fixtures made effective (`br` with a QA review signed
 * Reviewed, `pr` without; action limit 8 °C) and the operator, QA and the QP signed in: a caller
 * that speaks as any of them. `again` signs them in anew, e.g. after the clock moved past their
 * sessions.
 */
export async function batchCaller(api: TestApi): Promise<{ call: Caller; again(): Promise<void> }> {
  const { engine } = api.ctx;
  await effectiveExceptionTemplates(engine, await loginAs(engine, 'quinn'), await loginAs(engine, 'petra'));
  const tokens: Partial<Record<DemoUser, string>> = {};
  const again = async () => {
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  };
  await again();
  const call: Caller = (who, method, path, body) =>
    api.request(method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });
  return { call, again };
}

/** A batch record of `br` whose step Olivia completed with this temperature; its QA review waits. */
export async function recordedBatch(call: Caller, title: string, temperature: number) {
  const started = await call('olivia', 'POST', '/api/records', { template: 'br', title });
  assert.equal(started.status, 201, started.text);
  const record = started.body as { id: string; number: string; instanceId: string };
  const [step] = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks;
  const data = { title, temperature, notes: '' };
  // What the step view asks her to confirm: the values outside their limits.
  const check = await call('olivia', 'POST', `/api/tasks/${step.id}/check`, { data });
  const confirmed = (check.body.exceptions as { pointer: string; type: string }[])
    .filter((e) => e.type === 'limit_breach')
    .map((e) => e.pointer);
  const done = await call('olivia', 'POST', `/api/tasks/${step.id}/complete`, { data, confirmed });
  assert.equal(done.status, 200, done.text);
  return record;
}

/** A batch record within limits whose QA review Quinn signed: closed. */
export async function closedBatch(call: Caller, title: string) {
  const record = await recordedBatch(call, title, 5);
  const [review] = (await call('quinn', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks;
  const signed = await call('quinn', 'POST', `/api/tasks/${review.id}/complete`, {
    signature: { password: demoPassword('quinn') },
  });
  assert.equal(signed.status, 200, signed.text);
  return record;
}
