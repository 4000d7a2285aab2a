import { NotFoundError } from '../kernel/errors.ts';
import type { Principal } from '../kernel/permissions.ts';
import type { ReviewOf } from '../bpmn/model/graph.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';
import { requireStepReader } from '../steps/stepReaders.ts';
import type { Dossier } from './dossier.ts';

/** What a review step shows beside its own form: the record under review, or its audit trail (C6). */
export interface StepReview {
  reviewOf: ReviewOf;
  dossier: Dossier;
}

/**
 * The record a review step (`attest:reviewOf`) is about, read without leaving the step. Whoever
 * may read audit trails reads it as from the record; whoever may work the open step reads that
 * one record through it even without that authority, since they sign what it shows. Nobody else.
 */
export function createStepReviews(deps: {
  tasks: Pick<TaskAccess, 'describe' | 'openTask'>;
  dossier: (principal: Principal, idOrNumber: string) => Promise<Dossier>;
}): (principal: Principal, taskId: string) => Promise<StepReview> {
  return async function review(principal, taskId) {
    const found = await deps.tasks.describe(taskId);
    if (!found) throw new NotFoundError(`There is no task ${taskId}`);
    const reviewOf = found.spec?.reviewOf ?? null;
    const record = found.view.record;
    if (!reviewOf || !record) throw new NotFoundError(`The step ${taskId} reviews no record`);
    await requireStepReader(principal, taskId, deps.tasks);
    // The dossier is read for audit readers; a worker of the step reads this one record through it.
    const reader = principal.permissions.has('audit.read')
      ? principal
      : { ...principal, permissions: new Set([...principal.permissions, 'audit.read' as const]) };
    return { reviewOf, dossier: await deps.dossier(reader, record.id) };
  };
}
