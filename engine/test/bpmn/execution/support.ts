import { readFileSync } from 'node:fs';
import type { Engine, Principal } from '../../../src/index.ts';

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
