import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import { InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import type { IdentityService } from '../identity/identityService.ts';
import { eventActor, type Principal } from '../kernel/permissions.ts';
import { refused } from '../bpmn/service/inputs.ts';
import { processRepository, type InstanceRow, type TaskRow } from '../bpmn/service/processRepository.ts';
import type { UserTaskSpec } from '../bpmn/model/graph.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';
import type { InstanceView } from '../bpmn/service/types.ts';
import type { Meaning } from '../signatures/types.ts';
import type { FormService } from '../forms/formService.ts';
import { exceptionRaised, formRepository } from '../forms/formRepository.ts';
import { lateStep } from './lateSteps.ts';
import { requireStepReader } from './stepReaders.ts';
import { aheadPartner } from './stepsAhead.ts';
import type { Execution } from '../bpmn/execution/execution.ts';
import type { EventDraft } from '../audit/types.ts';
import {
  recordSubmission,
  recordVerification,
  taskSignature,
  type PendingSigning,
  type Submission,
} from './taskValues.ts';
import type { SubmissionInput, Verdict } from '../forms/pipeline.ts';
import { resolveDeviceSources, setAt } from './deviceSources.ts';
import { createDeviceCapture } from './deviceCapture.ts';
import type { DeviceRegistry } from '../devices/deviceRegistry.ts';
import type { DeviceBinding, FieldSpec } from '../forms/types.ts';
import type { EquipmentAction, MaterialGate, StepGates } from './gates.ts';
import { materialNamed } from '../forms/gatedValues.ts';
import { passGates } from './stepGates.ts';
import { createTaskContexts } from './taskContexts.ts';
import { valueState, type ValueState } from './valueStates.ts';

export type { ValueState } from './valueStates.ts';

export interface FieldState {
  pointer: string;
  key: string;
  label: string;
  type: string;
  unit: string | null;
  decimals: number | null;
  required: boolean;
  critical: boolean;
  naAllowed: boolean;
  capture: string;
  /** The device the server reads it from (Take reading); null: typed in. */
  device: DeviceBinding | null;
  calculated: boolean;
  /** Limits as they apply now (FEEL worked out over the current values); null where the field has none. */
  limits: {
    alert: { min: number | null; max: number | null } | null;
    action: { min: number | null; max: number | null } | null;
    reject: boolean;
    /** A value outside them needs the operator's comment at completion. */
    comment: boolean;
  } | null;
  /** The operator cannot change it here: computed by the server, or the task is no longer open. */
  locked: boolean;
  /**
   * What the field's gate asks (F3, F2): for a lot, the material the step names and the lot
   * first-expiry-first-out proposes; for equipment, what the step does with it. Null for others.
   */
  gate:
    | { kind: 'lot'; material: string | null; proposal: Proposal | null }
    | { kind: 'equipment'; action: EquipmentAction }
    | null;
}

type Proposal = Awaited<ReturnType<MaterialGate['propose']>>;

/** How completing a step is signed: the model's meaning, and whether the completion may be a rejection. */
export interface StepSignature {
  meaning: Meaning;
  /** `attest:rejectWhen` may make the signature a rejection (meaning Rejected, reason required). */
  rejectable: boolean;
}

/**
 * The signature a user task's model asks for at completion (`attest:signatureMeaning`), if any; an
 * added step (D7) has no element in the model and is always signed Performed.
 */
export const stepSignature = (
  spec: UserTaskSpec | null | undefined,
  origin: TaskRow['origin'] = 'flow',
): StepSignature | null =>
  origin === 'added'
    ? { meaning: 'Performed', rejectable: false }
    : spec?.signatureMeaning
      ? { meaning: spec.signatureMeaning as Meaning, rejectable: spec.rejectWhen !== null }
      : null;

export interface TaskForm {
  taskId: string;
  status: TaskRow['status'];
  /** Completing the step is an electronic signature with this meaning; null: it is not signed. */
  signature: StepSignature | null;
  form: { id: string; key: string; version: number; title: string | null; components: unknown[] };
  /** The current values as form data, for formio.js. */
  data: Record<string, unknown>;
  values: ValueState[];
  fields: FieldState[];
  exceptions: {
    id: string;
    pointer: string | null;
    type: string;
    severity: string;
    blocking: boolean;
    message: string;
    /** The operator's comment on a value outside its limits, given when completing. */
    comment: string | null;
    raisedAt: string;
  }[];
}

/**
 * The forms of user tasks: the renderer contract, saving values before completion, second-person
 * verification, and completion through the submission pipeline, each one transaction with the
 * instance's move and its audit trail.
 */
export function createTaskForms(deps: {
  knex: Knex;
  clock: Clock;
  forms: FormService;
  identity: IdentityService;
  process: TaskAccess;
  devices: DeviceRegistry;
  gates: StepGates;
}) {
  const { knex, clock, forms, identity, process } = deps;

  const { formOf, contextOf, noForm } = createTaskContexts({ forms, process, gates: deps.gates });

  /** Whether a task has a form: completion then goes through the pipeline. */
  async function hasForm(task: TaskRow, instance: InstanceRow): Promise<boolean> {
    return (await formOf(knex, task, instance)) !== null;
  }

  /**
   * Completes a task with a form, as the process service opened it (read before the transaction;
   * the move writes only if the instance is still at that version).
   */
  async function complete(
    principal: Principal,
    { task, instance }: { task: TaskRow; instance: InstanceRow },
    input: Submission,
    signing: PendingSigning | null = null,
  ): Promise<InstanceView> {
    const taskId = task.id;
    return knex.transaction(async (trx) => {
      await processRepository.lockInstanceAt(trx, instance.id, instance.version);
      const ctx = await contextOf(trx, task, instance);
      if (!ctx) throw noForm();
      const token = task.origin === 'flow' ? process.tokenOf(instance, task) : null;
      const partner = await aheadPartner(trx, task, instance, await process.graphOf(instance, trx));
      const at = clock.now();
      const { data, drafts } = await recordSubmission(trx, ctx, principal, input, 'complete', at);
      const late = lateStep(task, principal, at);
      if (late) {
        await formRepository.insertExceptions(trx, [late]);
        drafts.push(exceptionRaised(late));
      }
      // The signature covers the values as completed, after any written just now.
      const signature = signing
        ? await taskSignature(
            trx,
            { taskId, instanceId: instance.id, instanceVersion: instance.version },
            signing.meaningFor({ ...ctx.variables, ...data }),
            drafts.length,
            signing.reviewOf,
          )
        : null;
      const completed = {
        id: taskId,
        status: 'completed' as const,
        completedBy: principal.userId,
        assignee: null,
      };
      const moved = await process.move(
        eventActor(principal),
        instance,
        (execution) => {
          // A repeated or added step's values stay on its task: the flow and its variables are unchanged.
          const changes = token
            ? refused('The task cannot be completed with these values', () =>
                execution.complete(token.id, data),
              )
            : [];
          return [
            ...drafts,
            ...(signature ? [signature.draft] : []),
            {
              type: 'task.completed',
              // A step done ahead keeps what it gives the flow, for when the process reaches it (F1).
              payload: {
                taskId,
                elementId: task.element_id,
                changes,
                ...(task.origin === 'early' && { output: data }),
              },
            },
            ...(partner
              ? [doneAhead(execution, partner, instance, data, { taskId, by: principal.userId })]
              : []),
          ];
        },
        { taskUpdates: [completed, ...(partner ? [{ ...completed, id: partner.id }] : [])] },
        trx,
      );
      if (partner) await processRepository.markDoneAhead(trx, partner.id, taskId);
      await signature?.afterMove(trx);
      return moved;
    });
  }

  /** The flow's task at a step done ahead, completed with the values given there (F1). */
  function doneAhead(
    execution: Execution,
    flowTask: TaskRow,
    instance: InstanceRow,
    data: Record<string, unknown>,
    ahead: { taskId: string; by: string },
  ): EventDraft {
    const token = process.tokenOf(instance, flowTask);
    const changes = refused('The step done ahead cannot complete the flow’s step with its values', () =>
      execution.complete(token.id, data),
    );
    return {
      type: 'task.completed',
      payload: { taskId: flowTask.id, elementId: flowTask.element_id, changes, doneAhead: ahead },
    };
  }

  /**
   * What completing the task with these values would meet, without writing anything: the errors
   * that would refuse it and the exceptions it would raise, each with whether the template asks for
   * the operator's comment — what the step view shows for confirmation before the signature.
   */
  async function check(principal: Principal, taskId: string, input: SubmissionInput): Promise<Verdict> {
    const { task, instance } = await process.openTask(principal, taskId);
    const ctx = await contextOf(knex, task, instance);
    if (!ctx) throw noForm();
    const { sources } = await resolveDeviceSources(knex, taskId, ctx.runtime, input);
    const processed = ctx.runtime.process(
      {
        data: input.data,
        ...(sources && { sources }),
        ...(input.na && { na: input.na }),
      },
      ctx.variables,
    );
    // The gates as completion would meet them: a refused lot or equipment, a lot out of FEFO order.
    const gate = await passGates(knex, ctx, processed.data, 'report', clock.now());
    return ctx.runtime.verdict({
      ...processed,
      errors: [...processed.errors, ...gate.errors],
      exceptions: [...processed.exceptions, ...gate.exceptions],
    });
  }

  /** Saves values before completion: each is entered (time, person, source) when saved (E1, E2). */
  async function save(principal: Principal, taskId: string, input: Submission): Promise<TaskForm> {
    const { task, instance } = await process.openTask(principal, taskId);
    await knex.transaction(async (trx) => {
      await processRepository.lockInstanceAt(trx, instance.id, instance.version);
      const ctx = await contextOf(trx, task, instance);
      if (!ctx) throw noForm();
      const { drafts } = await recordSubmission(trx, ctx, principal, input, 'save', clock.now());
      if (drafts.length > 0) await process.move(eventActor(principal), instance, () => drafts, {}, trx);
    });
    return form(principal, taskId);
  }

  /**
   * A second person verifies the critical values entered by hand, at the performer's device: they
   * give their own user id and password (A7, B1), hold the authority to verify, and entered none
   * of the values (B5).
   */
  async function verify(
    principal: Principal,
    taskId: string,
    input: { username?: unknown; password?: unknown; pointers?: unknown },
  ): Promise<TaskForm & { signatureId: string }> {
    const pointers = input.pointers;
    if (pointers !== undefined && (!Array.isArray(pointers) || pointers.some((p) => typeof p !== 'string'))) {
      throw new InputError('The values to verify must be a list of pointers', [
        { pointer: '/pointers', keyword: 'type', message: 'must be a list of JSON pointers' },
      ]);
    }
    const { task, instance } = await process.openTask(principal, taskId);
    const signer = await identity.signerByCredentials(input.username, input.password);
    if (!signer.permissions.has('records.verify'))
      throw new NotAllowedError(`${signer.user.username} may not verify another person’s entries`);
    const verifier = {
      userId: signer.user.id,
      username: signer.user.username,
      printedName: signer.user.printed_name,
    };
    const signatureId = await knex.transaction(async (trx) => {
      await processRepository.lockInstanceAt(trx, instance.id, instance.version);
      const ctx = await contextOf(trx, task, instance);
      if (!ctx) throw noForm();
      const { drafts, afterMove } = await recordVerification(
        trx,
        ctx,
        verifier,
        pointers as string[] | undefined,
        clock.now(),
      );
      await process.move(verifier, instance, () => drafts, {}, trx);
      return afterMove(trx);
    });
    return { ...(await form(principal, taskId)), signatureId };
  }

  /** The renderer contract: the form of a task with its values, limits, locks and exceptions. */
  async function form(principal: Principal, taskId: string): Promise<TaskForm> {
    await requireStepReader(principal, taskId, process);
    const found = await process.findTask(taskId);
    if (!found) throw new NotFoundError(`There is no task ${taskId}`);
    const { task, instance } = found;
    const graph = await process.graphOf(instance, knex);
    const spec = graph.nodes[task.element_id]?.userTask;
    const formId = await formOf(knex, task, instance);
    if (!formId) throw noForm();
    const { row, runtime } = await forms.runtime(knex, formId);
    const values = await formRepository.values(knex, taskId);
    const token = instance.tokens.find((t) => t.taskId === task.id);
    const variables = token ? await process.visibleVariables(knex, instance, token) : instance.variables;
    const saved: Record<string, unknown> = {};
    for (const v of values) if (v.value !== null) setAt(saved, v.pointer, v.value);
    // A decision the record holds already shows as it stands; changing it needs a reason.
    if (task.status === 'open') {
      for (const f of runtime.compiled.fields) {
        const held = variables[f.key];
        if (f.reasonForChange && saved[f.key] === undefined && held !== undefined && held !== null)
          saved[f.key] = held;
      }
    }
    // Calculated values as the server works them out now, so limits built on them show too.
    const data =
      task.status === 'open' ? runtime.process({ data: saved }, variables, { partial: true }).data : saved;
    const open = task.status === 'open';
    const exceptions = await formRepository.exceptions(knex, { taskId });
    const gateOf = async (f: FieldSpec): Promise<FieldState['gate']> => {
      if (f.identifies === 'equipment') return { kind: 'equipment', action: f.equipmentAction ?? 'use' };
      if (f.identifies !== 'materialLot') return null;
      const material = materialNamed(f, data, variables);
      const proposal =
        open && material && deps.gates.materials
          ? await deps.gates.materials.propose(knex, material, clock.now())
          : null;
      return { kind: 'lot', material, proposal };
    };
    const gated = new Map<string, FieldState['gate']>();
    for (const f of runtime.compiled.fields) if (f.identifies) gated.set(f.pointer, await gateOf(f));
    return {
      taskId,
      status: task.status,
      signature: stepSignature(spec, task.origin),
      form: {
        id: row.id,
        key: row.key,
        version: row.version,
        title: row.title,
        components: runtime.compiled.render.components,
      },
      data,
      values: values.map((v) => valueState(v, runtime.fieldAt(v.pointer))),
      fields: runtime.compiled.fields.map((f) => ({
        pointer: f.pointer,
        key: f.key,
        label: f.label,
        type: f.type,
        unit: f.unit,
        decimals: f.decimals,
        required: f.required,
        critical: f.critical,
        naAllowed: f.naAllowed,
        capture: f.capture,
        device: f.device,
        calculated: f.calculate !== null,
        limits: runtime.limitsNow(f, data, variables),
        locked: !open || f.calculate !== null,
        gate: gated.get(f.pointer) ?? null,
      })),
      exceptions: exceptions.map((e) => ({
        id: e.id,
        pointer: e.pointer,
        type: e.type,
        severity: e.severity,
        blocking: e.blocking,
        message: e.message,
        comment: typeof e.details.comment === 'string' ? e.details.comment : null,
        raisedAt: e.raised_at.toISOString(),
      })),
    };
  }

  const { capture, choices } = createDeviceCapture({
    knex,
    clock,
    devices: deps.devices,
    process,
    contexts: { contextOf, noForm },
  });

  return { hasForm, complete, save, check, verify, form, takeReading: capture, deviceChoices: choices };
}
