import { INSTANCE_TREE } from '../bpmn/service/instanceTree.ts';
import type { TaskOrigin, TaskStatus } from '../bpmn/service/processRepository.ts';
import type { ExceptionStatus } from '../forms/formRepository.ts';
import { dispositionsOf, type ExceptionDisposition } from '../exceptions/exceptionService.ts';
import { UNDISPOSITIONED } from '../exceptions/gate.ts';
import type { Knex } from 'knex';
import type { AuditEvent } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import type { FormService } from '../forms/formService.ts';
import type { ExceptionRow, ValueRow } from '../forms/formRepository.ts';
import type { FormRuntime } from '../forms/pipeline.ts';
import type { FieldSpec } from '../forms/types.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import type { Meaning, Signature } from '../signatures/types.ts';
import type { StepSignature } from '../steps/taskForms.ts';
import type { TaskView } from '../bpmn/service/types.ts';
import type { RecordDetail } from './templateRecords.ts';
import { reopeningsOf, type Reopening } from './recordReopenings.ts';

/** A person as the dossier names them: printed name and user name (B2). */
export interface DossierPerson {
  id: string;
  username: string;
  printedName: string;
}

/** One value of a step with its provenance (E1–E3) and its history (D5). */
export interface DossierValue {
  pointer: string;
  /** The field's label, with its row in a grid ("Weight in row 2"). */
  label: string;
  unit: string | null;
  /** The decimals the field keeps, so a value prints as entered (80.020 kg); null when it has none. */
  decimals: number | null;
  critical: boolean;
  /** The component type, e.g. datetime (an instant to show in the plant's zone), radio, select. */
  type: string;
  value: unknown;
  /** A choice as its people read it: the label(s) of the chosen option(s); null for other fields. */
  choice: string | null;
  /** manual, device or calculated. */
  source: string;
  device: ValueRow['device'];
  naReason: string | null;
  enteredBy: DossierPerson | null;
  enteredAt: string;
  /** Changed after its first entry: the original, who changed it last, when and why. */
  changedAfterEntry: boolean;
  originalValue: unknown;
  /** The original choice's label(s), as `choice`. */
  originalChoice: string | null;
  changedBy: DossierPerson | null;
  changedAt: string | null;
  changeReason: string | null;
  corrections: number;
  verifiedBy: DossierPerson | null;
  verifiedAt: string | null;
}

/** An exception a value raised (E7, F4): out of limits, N/A, entered by hand in place of a device. */
export interface DossierException {
  id: string;
  taskId: string | null;
  /** The step's name, or its element id. */
  step: string | null;
  pointer: string | null;
  type: string;
  severity: string;
  blocking: boolean;
  message: string;
  /** The operator's comment on a value outside its limits, given when completing the step. */
  comment: string | null;
  status: ExceptionStatus;
  raisedAt: string;
  /** Whose entry or act raised it: they may not decide on it (B5). */
  raisedBy: DossierPerson | null;
  /** QA's signed decisions on it, oldest first (F4, F5). */
  dispositions: ExceptionDisposition[];
}

/** A signed run-time change of a step (D7), as the exception that records it states it. */
export interface DossierChange {
  kind: 'skip' | 'repeat' | 'add' | 'outOfOrder';
  reason: string;
  exceptionId: string;
  by: DossierPerson | null;
  at: string;
  /** For a repeat: the step done again. */
  repeatOf: string | null;
}

/** One step of the record's process: a user task, open, done or withdrawn, with its values. */
export interface DossierStep {
  taskId: string;
  elementId: string;
  name: string;
  status: TaskStatus;
  /** flow: the model's flow made it; repeat or added: a run-time change did (D7). */
  origin: TaskOrigin;
  /** The run-time change that skipped, repeated or added this step: who, when, why (D7). */
  change: DossierChange | null;
  createdAt: string;
  completedAt: string | null;
  completedBy: DossierPerson | null;
  form: { key: string; version: number; title: string | null } | null;
  values: DossierValue[];
  exceptions: DossierException[];
  /** The signatures over this step: its completion's and the verifications of its values. */
  signatureIds: string[];
}

/**
 * Everything a reviewer reads of a record, and what its printout holds (D5, D6): the record with its
 * template version, every step's values with provenance, exceptions, changes after entry, the
 * signatures with their manifestation, and the whole audit trail.
 */
export interface Dossier {
  record: RecordDetail;
  generatedAt: string;
  generatedBy: DossierPerson;
  steps: DossierStep[];
  exceptions: DossierException[];
  signatures: Signature[];
  /** Its reopenings after it was closed (D4), oldest first; the signatures flag those they precede. */
  reopenings: Reopening[];
  audit: AuditEvent[];
}

interface TaskRowLite {
  id: string;
  element_id: string;
  name: string | null;
  status: DossierStep['status'];
  origin: TaskOrigin;
  created_at: Date;
  completed_at: Date | null;
  completed_by: string | null;
}

/** Builds a record's dossier from what the record, form, signature and audit services hold. */
export function createDossiers(deps: {
  knex: Knex;
  clock: Clock;
  forms: FormService;
  view: (principal: Principal, idOrNumber: string) => Promise<RecordDetail>;
  signatures: (principal: Principal, recordId: string) => Promise<Signature[]>;
  trail: (principal: Principal, filter: { recordId: string }) => Promise<AuditEvent[]>;
}): { dossier(principal: Principal, idOrNumber: string): Promise<Dossier> } {
  const { knex, clock, forms } = deps;

  async function dossier(principal: Principal, idOrNumber: string): Promise<Dossier> {
    requirePermission(principal, 'audit.read');
    const record = await deps.view(principal, idOrNumber);
    const [signatures, audit] = await Promise.all([
      deps.signatures(principal, record.id),
      deps.trail(principal, { recordId: record.id }),
    ]);
    const instanceIds: string[] = record.instanceId
      ? (await knex.raw(INSTANCE_TREE, [record.instanceId])).rows.map((r: { id: string }) => r.id)
      : [];
    const tasks: TaskRowLite[] = instanceIds.length
      ? await knex('tasks')
          .whereIn('instance_id', instanceIds)
          // The flow's task at a step done ahead holds no values of its own: the step done ahead is shown (F1).
          .whereNull('done_ahead')
          .orderBy('created_at')
          .orderBy('id')
          .select(
            'id',
            'element_id',
            'name',
            'status',
            'origin',
            'created_at',
            'completed_at',
            'completed_by',
          )
      : [];
    const values: ValueRow[] = instanceIds.length
      ? await knex('form_values').whereIn('instance_id', instanceIds).orderBy('entered_at').orderBy('pointer')
      : [];
    const exceptionRows: ExceptionRow[] = instanceIds.length
      ? await knex('exceptions').whereIn('instance_id', instanceIds).orderBy('raised_at').orderBy('id')
      : [];

    const runtimes = new Map<
      string,
      { key: string; version: number; title: string | null; runtime: FormRuntime }
    >();
    for (const formId of new Set(values.map((v) => v.form_id))) {
      const { row, runtime } = await forms.runtime(knex, formId);
      runtimes.set(formId, { key: row.key, version: row.version, title: row.title, runtime });
    }

    const userIds = new Set<string>([principal.userId]);
    for (const v of values)
      for (const id of [v.entered_by, v.changed_by, v.verified_by]) if (id) userIds.add(id);
    for (const t of tasks) if (t.completed_by) userIds.add(t.completed_by);
    for (const e of exceptionRows) if (e.raised_by) userIds.add(e.raised_by);
    const people = new Map<string, DossierPerson>(
      (
        (await knex('users')
          .whereIn('id', [...userIds])
          .select('id', 'username', 'printed_name')) as {
          id: string;
          username: string;
          printed_name: string;
        }[]
      ).map((u) => [u.id, { id: u.id, username: u.username, printedName: u.printed_name }]),
    );
    const person = (id: string | null) =>
      id ? (people.get(id) ?? { id, username: id, printedName: id }) : null;

    const stepName = new Map(tasks.map((t) => [t.id, t.name ?? t.element_id]));
    const decided = await dispositionsOf(
      knex,
      exceptionRows.map((e) => e.id),
    );
    const exceptions: DossierException[] = exceptionRows.map((e) => ({
      id: e.id,
      taskId: e.task_id,
      step: e.task_id ? (stepName.get(e.task_id) ?? e.element_id) : e.element_id,
      pointer: e.pointer,
      type: e.type,
      severity: e.severity,
      blocking: e.blocking,
      message: e.message,
      comment: typeof e.details.comment === 'string' ? e.details.comment : null,
      status: e.status,
      raisedAt: e.raised_at.toISOString(),
      raisedBy: person(e.raised_by),
      dispositions: decided.get(e.id) ?? [],
    }));

    const changeOf = (taskId: string): DossierChange | null => {
      const e = exceptionRows.find(
        (x) => x.task_id === taskId && (x.type === 'run_time_change' || x.type === 'out_of_order'),
      );
      if (!e) return null;
      const d = e.details as { change: DossierChange['kind']; reason: string; repeatOf?: string };
      return {
        kind: d.change,
        reason: d.reason,
        exceptionId: e.id,
        by: person(e.raised_by),
        at: e.raised_at.toISOString(),
        repeatOf: d.repeatOf ?? null,
      };
    };

    const steps: DossierStep[] = tasks.map((t) => {
      const form = values.find((v) => v.task_id === t.id)?.form_id;
      const fields = form ? runtimes.get(form)!.runtime.compiled.fields : [];
      // In the order the form shows them; rows of a grid in their order under their column.
      const place = (v: ValueRow) => {
        const field = runtimes.get(v.form_id)!.runtime.fieldAt(v.pointer);
        return field ? fields.indexOf(field) : fields.length;
      };
      const own = values
        .filter((v) => v.task_id === t.id)
        .sort((a, b) => place(a) - place(b) || a.pointer.localeCompare(b.pointer, 'en', { numeric: true }));
      const formInfo = form ? runtimes.get(form) : undefined;
      return {
        taskId: t.id,
        elementId: t.element_id,
        name: t.name ?? t.element_id,
        status: t.status,
        origin: t.origin,
        change: changeOf(t.id),
        createdAt: t.created_at.toISOString(),
        completedAt: t.completed_at?.toISOString() ?? null,
        completedBy: person(t.completed_by),
        form: formInfo ? { key: formInfo.key, version: formInfo.version, title: formInfo.title } : null,
        values: own.map((v) => {
          const field = runtimes.get(v.form_id)?.runtime.fieldAt(v.pointer);
          return {
            pointer: v.pointer,
            label: field ? labelOf(runtimes.get(v.form_id)!.runtime, field, v.pointer) : v.pointer,
            unit: field?.unit ?? null,
            decimals: field?.decimals ?? null,
            critical: Boolean(field?.critical),
            type: field?.type ?? 'unknown',
            value: v.value,
            choice: field ? choiceLabel(field, v.value) : null,
            source: v.source,
            device: v.device,
            naReason: v.na_reason,
            enteredBy: person(v.entered_by),
            enteredAt: v.entered_at.toISOString(),
            changedAfterEntry: v.corrections > 0,
            originalValue: v.original_value,
            originalChoice: field ? choiceLabel(field, v.original_value) : null,
            changedBy: person(v.changed_by),
            changedAt: v.changed_at?.toISOString() ?? null,
            changeReason: v.change_reason,
            corrections: v.corrections,
            verifiedBy: person(v.verified_by),
            verifiedAt: v.verified_at?.toISOString() ?? null,
          };
        }),
        exceptions: exceptions.filter((e) => e.taskId === t.id),
        signatureIds: signatures.filter((s) => s.covers?.taskId === t.id).map((s) => s.id),
      };
    });

    return {
      record,
      generatedAt: clock.now().toISOString(),
      generatedBy: person(principal.userId)!,
      steps,
      exceptions,
      signatures,
      reopenings: await reopeningsOf(knex, record.id),
      audit,
    };
  }

  return { dossier };
}

/** The labels of the chosen options of a radio, select or select boxes; null when there is none to name. */
function choiceLabel(field: FieldSpec, value: unknown): string | null {
  if (!field.choices || value === null || value === undefined) return null;
  const label = (v: unknown) => field.choices!.find((c) => c.value === v)?.label ?? String(v);
  if (Array.isArray(value)) return value.map(label).join(', ');
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .filter(([, on]) => on === true)
      .map(([k]) => label(k))
      .join(', ');
  return label(value);
}

/** The label without the unit: the dossier shows the unit beside the value. */
function labelOf(
  runtime: FormRuntime,
  field: NonNullable<ReturnType<FormRuntime['fieldAt']>>,
  pointer: string,
) {
  const name = runtime.nameOf(field, pointer);
  return field.unit ? name.replace(` (${field.unit})`, '') : name;
}

/** A step waiting for this person's review or approval, with what the reviewer looks at first. */
export interface ReviewItem {
  task: TaskView;
  /** The meaning the step's completion signs with: Reviewed, Approved or Released. */
  meaning: Meaning;
  rejectable: boolean;
  record: { id: string; number: string; title: string; status: string; overdue: boolean } | null;
  /**
   * Exceptions the record's values raised, by severity: review by exception (F4); `undecided`
   * of them wait for QA's decision, `holding` of those are blocking and hold the review back.
   */
  exceptions: {
    total: number;
    high: number;
    medium: number;
    low: number;
    blocking: number;
    undecided: number;
    holding: number;
    /** The undecided ones by severity: what review by exception still has to look at. */
    open: { high: number; medium: number; low: number };
  };
  /** Values changed after their first entry (D5). */
  changedValues: number;
}

const REVIEW_MEANINGS: readonly Meaning[] = ['Reviewed', 'Approved', 'Released'];

/**
 * The review queue: open steps this person may do whose completion signs as Reviewed, Approved or
 * Released, records with high exceptions first, then the oldest.
 */
export type ReviewQueue = (principal: Principal) => Promise<ReviewItem[]>;

export function createReviewQueue(deps: {
  knex: Knex;
  view: (principal: Principal, idOrNumber: string) => Promise<RecordDetail>;
  tasks: {
    list: (principal: Principal) => Promise<TaskView[]>;
    get: (principal: Principal, id: string) => Promise<TaskView & { signature: StepSignature | null }>;
  };
}): ReviewQueue {
  const { knex, tasks } = deps;
  return async function reviewQueue(principal: Principal): Promise<ReviewItem[]> {
    requirePermission(principal, 'audit.read');
    const open = await tasks.list(principal);
    const items: ReviewItem[] = [];
    for (const task of open) {
      const { signature } = await tasks.get(principal, task.id);
      if (!signature || !REVIEW_MEANINGS.includes(signature.meaning)) continue;
      const record = task.record ? await deps.view(principal, task.record.id) : null;
      const instanceIds: string[] = record?.instanceId
        ? (await knex.raw(INSTANCE_TREE, [record.instanceId])).rows.map((r: { id: string }) => r.id)
        : [task.instanceId];
      const severities = (await knex('exceptions')
        .whereIn('instance_id', instanceIds)
        .select('severity', 'blocking', 'status')) as {
        severity: string;
        blocking: boolean;
        status: string;
      }[];
      const undecided = severities.filter((s) => (UNDISPOSITIONED as readonly string[]).includes(s.status));
      const changed = (await knex('form_values')
        .whereIn('instance_id', instanceIds)
        .where('corrections', '>', 0)
        .count({ n: '*' })) as { n: string | number }[];
      items.push({
        task,
        meaning: signature.meaning,
        rejectable: signature.rejectable,
        record: record
          ? {
              id: record.id,
              number: record.number,
              title: record.title,
              status: record.status,
              overdue: record.overdue,
            }
          : null,
        exceptions: {
          total: severities.length,
          high: severities.filter((s) => s.severity === 'high').length,
          medium: severities.filter((s) => s.severity === 'medium').length,
          low: severities.filter((s) => s.severity === 'low').length,
          blocking: severities.filter((s) => s.blocking).length,
          undecided: undecided.length,
          holding: undecided.filter((s) => s.blocking).length,
          open: {
            high: undecided.filter((s) => s.severity === 'high').length,
            medium: undecided.filter((s) => s.severity === 'medium').length,
            low: undecided.filter((s) => s.severity === 'low').length,
          },
        },
        changedValues: Number(changed[0]?.n ?? 0),
      });
    }
    return items.sort(
      (a, b) =>
        b.exceptions.open.high - a.exceptions.open.high ||
        b.exceptions.high - a.exceptions.high ||
        b.exceptions.open.medium - a.exceptions.open.medium ||
        b.exceptions.medium - a.exceptions.medium ||
        a.task.createdAt.localeCompare(b.task.createdAt),
    );
  };
}
