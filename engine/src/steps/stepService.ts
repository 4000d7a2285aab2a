import type { Knex } from 'knex';
import { evaluateFeel } from '../feel/feel.ts';
import type { Clock } from '../kernel/clock.ts';
import { InputError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { optionalText } from '../kernel/textInput.ts';
import type { FormService } from '../forms/formService.ts';
import type { IdentityService } from '../identity/identityService.ts';
import type { ReviewOf } from '../bpmn/model/graph.ts';
import type { InstanceRow, TaskRow } from '../bpmn/service/processRepository.ts';
import { checkVariables, refused } from '../bpmn/service/inputs.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';
import type { InstanceView, TaskView } from '../bpmn/service/types.ts';
import { AUTHORITY, type Meaning } from '../signatures/types.ts';
import { createTaskForms, stepSignature, type StepSignature, type TaskForm } from './taskForms.ts';
import type { SubmissionInput, Verdict } from '../forms/pipeline.ts';
import type { TaskSigning } from '../signatures/taskSigning.ts';
import { requireStepReader } from './stepReaders.ts';
import type { CaptureInput, DeviceChoice, TakenReading } from './deviceCapture.ts';
import type { DeviceRegistry } from '../devices/deviceRegistry.ts';
import type { StepGates } from './gates.ts';
import { taskSignature, type PendingSigning, type Submission } from './taskValues.ts';

/** One task as the step view opens it: the task, and how completing it is signed. */
export interface TaskDetail extends TaskView {
  signature: StepSignature | null;
  /** What the step reviews beside its own form (`attest:reviewOf`); null: nothing. */
  reviewOf: ReviewOf | null;
}

/** What a person gives to sign a step: their password, and a reason (required to reject). */
export interface StepSigningInput {
  password?: unknown;
  reason?: unknown;
}

/** What a step is completed with: its form's data, or variables for a task without a form. */
export type StepCompletion = {
  variables?: Record<string, unknown>;
  signature?: StepSigningInput;
} & Submission;

/** The steps of records: a task, its form and its signature, read, filled in, verified and completed. */
export interface StepService {
  /** One task, open or not, with the signature completing it asks for: for audit readers and its workers. */
  get(principal: Principal, taskId: string): Promise<TaskDetail>;
  complete(principal: Principal, taskId: string, input?: StepCompletion): Promise<InstanceView>;
  form(principal: Principal, taskId: string): Promise<TaskForm>;
  saveValues(principal: Principal, taskId: string, input: Submission): Promise<TaskForm>;
  /** What completing with these values would meet (errors, exceptions); nothing is written. */
  check(principal: Principal, taskId: string, input: SubmissionInput): Promise<Verdict>;
  verify(
    principal: Principal,
    taskId: string,
    input: { username?: unknown; password?: unknown; pointers?: unknown },
  ): Promise<TaskForm & { signatureId: string }>;
  /**
   * The server reads the device a field is bound to and enters the value from it (E2, E3, E6), or
   * tares or zeroes the device where the form allows it; the reading, and the field's value as
   * the step now holds it — not the whole form, which Take reading leaves as it was.
   */
  takeReading(principal: Principal, taskId: string, input: CaptureInput): Promise<TakenReading>;
  /** The devices the step's fields may be read from, each with whether it may be read now. */
  deviceChoices(principal: Principal, taskId: string): Promise<DeviceChoice[]>;
}

/**
 * Where a task, its form and its signature meet: completing a step (through its form's submission
 * pipeline, or with variables), signed when the model says so, over the tasks the process service
 * opens and the moves it makes.
 */
export function createStepService(deps: {
  knex: Knex;
  clock: Clock;
  forms: FormService;
  identity: IdentityService;
  tasks: TaskAccess;
  devices: DeviceRegistry;
  gates: StepGates;
}): StepService {
  const { knex, identity, tasks } = deps;
  const taskForms = createTaskForms({ ...deps, process: tasks });

  async function get(principal: Principal, taskId: string): Promise<TaskDetail> {
    await requireStepReader(principal, taskId, tasks);
    const found = await tasks.describe(taskId);
    if (!found) throw new NotFoundError(`There is no task ${taskId}`);
    return {
      ...found.view,
      signature: stepSignature(found.spec, found.view.origin),
      reviewOf: found.spec?.reviewOf ?? null,
    };
  }

  /**
   * Completes a user task: a task with a form through the submission pipeline (values, provenance,
   * exceptions in the same transaction), one without with its output variables. The instance moves
   * on to its next wait states.
   */
  async function complete(
    principal: Principal,
    taskId: string,
    input: StepCompletion = {},
  ): Promise<InstanceView> {
    const variables = checkVariables(input.variables);
    const { task, instance } = await tasks.openTask(principal, taskId);
    const signing = await signingOf(principal, task, instance, input.signature);
    if (await taskForms.hasForm(task, instance)) {
      if (input.variables !== undefined) {
        throw new InputError('A task with a form is completed with its form data, not variables', [
          { pointer: '/variables', keyword: 'form', message: 'send the form data in data instead' },
        ]);
      }
      return taskForms.complete(principal, { task, instance }, input, signing);
    }
    if (input.data !== undefined) {
      throw new InputError('This task has no form; complete it with variables', [
        { pointer: '/data', keyword: 'form', message: 'the task has no form' },
      ]);
    }
    const token = tasks.tokenOf(instance, task);
    const updates = {
      taskUpdates: [
        { id: taskId, status: 'completed' as const, completedBy: principal.userId, assignee: null },
      ],
    };
    if (!signing) {
      return tasks.move(
        eventActor(principal),
        instance,
        (execution) => {
          const changes = refused('The task cannot be completed with these values', () =>
            execution.complete(token.id, variables),
          );
          return [{ type: 'task.completed', payload: { taskId, elementId: task.element_id, changes } }];
        },
        updates,
      );
    }
    return knex.transaction(async (trx) => {
      const meaning = signing.meaningFor({ ...instance.variables, ...variables });
      const signature = await taskSignature(
        trx,
        { taskId, instanceId: instance.id, instanceVersion: instance.version },
        meaning,
        0,
        signing.reviewOf,
      );
      const moved = await tasks.move(
        eventActor(principal),
        instance,
        (execution) => {
          const changes = refused('The task cannot be completed with these values', () =>
            execution.complete(token.id, variables),
          );
          return [
            signature.draft,
            { type: 'task.completed', payload: { taskId, elementId: task.element_id, changes } },
          ];
        },
        updates,
        trx,
      );
      await signature.afterMove(trx);
      return moved;
    });
  }

  /**
   * The signature a task's model asks for (B1): the signer's password, checked before anything is
   * written. Its meaning is settled with the completion data: the model's meaning, or Rejected
   * (reason required) when `attest:rejectWhen` holds; the signer must hold the authority for it.
   */
  async function signingOf(
    principal: Principal,
    task: TaskRow,
    instance: InstanceRow,
    input: StepSigningInput | undefined,
  ): Promise<PendingSigning | null> {
    const graph = await tasks.graphOf(instance);
    const spec = graph.nodes[task.element_id]?.userTask;
    const meaning = stepSignature(spec, task.origin)?.meaning;
    if (!meaning) {
      if (input !== undefined && input !== null) {
        throw new InputError('This step is not signed; complete it without a signature', [
          { pointer: '/signature', keyword: 'signature', message: 'the step is not signed' },
        ]);
      }
      return null;
    }
    if (input === undefined || input === null || typeof input !== 'object') {
      throw new InputError(`This step is signed (${meaning}): your password is required`, [
        { pointer: '/signature/password', keyword: 'required', message: `is required to sign as ${meaning}` },
      ]);
    }
    const reason = optionalText(input.reason, '/signature/reason', 1000);
    const signer = await identity.reauthenticate(principal, input.password);
    const who = { userId: signer.id, username: signer.username, printedName: signer.printed_name };
    return {
      reviewOf: spec?.reviewOf ?? null,
      meaningFor(data: Record<string, unknown>): TaskSigning {
        const rejected =
          spec &&
          spec.rejectWhen !== null &&
          refused('The rejection condition cannot be worked out', () =>
            evaluateFeel(spec.rejectWhen!, data),
          ) === true;
        const settled: Meaning = rejected ? 'Rejected' : meaning;
        requirePermission(principal, AUTHORITY[settled]);
        if (rejected && !reason) {
          throw new InputError('A reason is required to reject', [
            { pointer: '/signature/reason', keyword: 'required', message: 'is required to sign a rejection' },
          ]);
        }
        return { signer: who, meaning: settled, reason };
      },
    };
  }

  return {
    get,
    complete,
    form: taskForms.form,
    saveValues: taskForms.save,
    check: taskForms.check,
    verify: taskForms.verify,
    takeReading: taskForms.takeReading,
    deviceChoices: taskForms.deviceChoices,
  };
}
