import { randomUUID } from 'node:crypto';
import type { TaskRow } from '../bpmn/service/processRepository.ts';
import type { ExceptionRow } from '../forms/formRepository.ts';
import type { Principal } from '../kernel/permissions.ts';

/**
 * A step completed after its due date (`attest:dueDate`) is an exception `late_step` on the record,
 * raised by its completion: medium and not blocking, for QA to assess in the review by exception.
 */
export function lateStep(task: TaskRow, performer: Principal, at: Date): ExceptionRow | null {
  if (!task.due_at || at.getTime() <= task.due_at.getTime()) return null;
  const minutes = Math.ceil((at.getTime() - task.due_at.getTime()) / 60_000);
  const name = task.name ?? task.element_id;
  return {
    id: randomUUID(),
    instance_id: task.instance_id,
    task_id: task.id,
    element_id: task.element_id,
    pointer: null,
    type: 'late_step',
    severity: 'medium',
    blocking: false,
    message: `“${name}” was completed ${lateness(minutes)} after it was due (${task.due_at.toISOString()})`,
    details: { dueAt: task.due_at.toISOString(), completedAt: at.toISOString(), minutesLate: minutes },
    status: 'open',
    raised_at: at,
    raised_by: performer.userId,
  };
}

/** How late, in the largest unit that says it: minutes, hours and minutes, or days and hours. */
function lateness(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
