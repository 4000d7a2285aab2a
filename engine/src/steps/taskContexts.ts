import type { Knex } from 'knex';
import { InputError } from '../kernel/errors.ts';
import type { FormService } from '../forms/formService.ts';
import type { InstanceRow, TaskRow } from '../bpmn/service/processRepository.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';
import type { TaskContext } from './taskValues.ts';
import type { StepGates } from './gates.ts';

/**
 * What a step's values are checked against: the form version the task is pinned to, compiled, and
 * the variables its token sees. Saving, verifying, completing and Take reading each open it for
 * the instance version they write at.
 */
export function createTaskContexts(deps: { forms: FormService; process: TaskAccess; gates: StepGates }) {
  const { forms, process } = deps;

  /** The form version of a task: pinned on a repeated or added step's row, else by its element. */
  async function formOf(db: Knex | Knex.Transaction, task: TaskRow, instance: InstanceRow) {
    if (task.form_id) return task.form_id;
    const graph = await process.graphOf(instance, db);
    return graph.nodes[task.element_id]?.userTask?.formId ?? null;
  }

  async function contextOf(
    db: Knex | Knex.Transaction,
    task: TaskRow,
    instance: InstanceRow,
  ): Promise<TaskContext | null> {
    const formId = await formOf(db, task, instance);
    if (!formId) return null;
    const { runtime } = await forms.runtime(db, formId);
    // A repeated or added step has no token: it sees the record's variables and gives none back.
    const variables =
      task.origin === 'flow'
        ? await process.visibleVariables(db, instance, process.tokenOf(instance, task))
        : instance.variables;
    return {
      taskId: task.id,
      elementId: task.element_id,
      instanceId: instance.id,
      instanceVersion: instance.version,
      formId,
      runtime,
      variables,
      gates: deps.gates,
    };
  }

  const noForm = () =>
    new InputError('This task has no form; complete it with variables', [
      { pointer: '/data', keyword: 'form', message: 'the task has no form' },
    ]);

  return { formOf, contextOf, noForm };
}

export type TaskContexts = ReturnType<typeof createTaskContexts>;
