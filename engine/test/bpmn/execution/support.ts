import { readFileSync } from 'node:fs';
import type { DEMO_USERS, Engine, Principal } from '../../../src/index.ts';
import { loginAs, startTestEngine, type TestContext } from '../../support/testEngine.ts';

/** The BPMN fixture beside the specs. */
export const fixture = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

export async function deploy(engine: Engine, qa: Principal, name: string) {
  const { definitions } = await engine.processes.deploy(qa, fixture(name));
  return definitions[0]!;
}

export const taskAt = (
  instance: { openTasks: { id: string; elementId: string }[] },
  elementId: string,
): string => {
  const task = instance.openTasks.find((t) => t.elementId === elementId);
  if (!task) throw new Error(`No open task at ${elementId}: ${JSON.stringify(instance.openTasks)}`);
  return task.id;
};

type DemoName = (typeof DEMO_USERS)[number]['username'];

/**
 * The start of a scenario file: a test engine of its own, the named demo users signed in, `setup`
 * run (handlers registered, say), then the models deployed by quinn, in order.
 */
export async function scenarioEngine<N extends DemoName>(
  names: readonly N[],
  models: readonly string[] = [],
  setup: (ctx: TestContext) => void = () => {},
): Promise<{ ctx: TestContext } & Record<N, Principal>> {
  const ctx = await startTestEngine();
  const users = {} as Record<N, Principal>;
  for (const name of names) users[name] = await loginAs(ctx.engine, name);
  setup(ctx);
  const qa = (users as Partial<Record<DemoName, Principal>>).quinn ?? (await loginAs(ctx.engine, 'quinn'));
  for (const model of models) await deploy(ctx.engine, qa, model);
  return { ctx, ...users };
}
