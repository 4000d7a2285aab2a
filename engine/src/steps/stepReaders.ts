import type { Principal } from '../kernel/permissions.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';

/**
 * Who may read a step, its form and what it reviews: whoever may read audit trails, and whoever
 * may work the open step, who must see what they fill in and sign. Refused otherwise, as opening
 * the step for work is.
 */
export async function requireStepReader(
  principal: Principal,
  taskId: string,
  tasks: Pick<TaskAccess, 'openTask'>,
): Promise<void> {
  if (principal.permissions.has('audit.read')) return;
  await tasks.openTask(principal, taskId);
}
