import type { Knex } from 'knex';
import type { ProcessGraph } from '../bpmn/model/graph.ts';
import type { InstanceRow, TaskRow } from '../bpmn/service/processRepository.ts';
import { ConflictError } from '../kernel/errors.ts';

/**
 * The other task of a step that may be done ahead of the flow (F1), when both are open: completing
 * the step done ahead (origin early) completes the flow's task at the same element with the same
 * values. The flow's own task is not completed while the step is being done ahead: the values are
 * entered once, in one place.
 */
export async function aheadPartner(
  db: Knex.Transaction,
  task: TaskRow,
  instance: InstanceRow,
  graph: ProcessGraph,
): Promise<TaskRow | null> {
  if (!graph.nodes[task.element_id]?.userTask?.outOfOrder) return null;
  if (task.origin !== 'flow' && task.origin !== 'early') return null;
  const other = (await db('tasks')
    .where({ instance_id: instance.id, element_id: task.element_id, status: 'open' })
    .where('origin', task.origin === 'early' ? 'flow' : 'early')
    .first()) as TaskRow | undefined;
  if (!other) return null;
  if (task.origin === 'flow') {
    throw new ConflictError(
      `“${task.name ?? task.element_id}” is being done ahead of the flow in task ${other.id}: complete it there, and this step is completed with its values`,
    );
  }
  return other;
}
