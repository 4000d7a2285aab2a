import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { StepAhead } from '../changes/runTimeChanges.ts';
import type { StartDeviation } from '../exceptions/exceptionService.ts';
import { BLOCKING_IN_TREE } from '../exceptions/gate.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotFoundError } from '../kernel/errors.ts';
import type { ProcessService } from '../bpmn/service/processService.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import { templateRepository } from '../templates/templateRepository.ts';
import { REOPENED_SQL } from './recordReopenings.ts';
import { parameterSetFor } from '../templates/parameterSets.ts';
import { insertTemplateRecord, nextRecordNumber } from './templateRecordHooks.ts';

/** A record as people find and follow it: number, template version, status, owner, due date, links. */
export interface RecordView {
  id: string;
  number: string;
  kind: string;
  title: string;
  /** open, held, closed, reopened, cancelled, voided, or the stage the process names in `recordStatus`. */
  status: string;
  template: { id: string; version: string; versionId: string; title: string } | null;
  instanceId: string | null;
  owner: { id: string; username: string; printedName: string } | null;
  createdAt: string;
  createdBy: string;
  dueAt: string | null;
  overdue: boolean;
  parent: { id: string; number: string } | null;
  raisedFrom: { id: string; number: string } | null;
}

export interface RecordDetail extends RecordView {
  children: { id: string; number: string; kind: string; status: string }[];
  openTasks: {
    id: string;
    elementId: string;
    name: string | null;
    candidateRoles: string[];
    candidateUser: string | null;
    assignee: string | null;
    dueAt: string | null;
  }[];
  variables: Record<string, unknown>;
  /** Steps its template allows to be done ahead of the flow, which may be done ahead now (F1). */
  stepsAhead: StepAhead[];
}

export interface RecordFilter {
  /** Part of the number or the title. */
  q?: string;
  number?: string;
  template?: string;
  kind?: string;
  status?: string;
  /** User name of the owner. */
  owner?: string;
  dueBefore?: string;
  overdue?: boolean;
  parent?: string;
  limit?: number;
  offset?: number;
}

/** A template version as a record's events name it. */

/**
 * A record's status as its process tells it; stored status only for records without a process. A
 * record whose process ended is `held`, not closed, while a blocking exception of it waits for
 * QA's decision (F4): it closes when the last one is accepted or given a deviation. A closed
 * record reopened (D4) is `reopened` until a new Approved signature closes it again.
 */
const STATUS_SQL = `CASE WHEN r.status = 'voided' THEN 'voided'
  WHEN ${REOPENED_SQL} THEN 'reopened'
  WHEN pi.id IS NULL THEN r.status
  WHEN pi.status = 'completed' AND EXISTS (${BLOCKING_IN_TREE}) THEN 'held'
  WHEN pi.status = 'completed' THEN 'closed'
  WHEN pi.status = 'terminated' THEN 'cancelled'
  WHEN jsonb_typeof(pi.variables->'recordStatus') = 'string' THEN pi.variables->>'recordStatus'
  ELSE 'open' END`;
const FINISHED = ['closed', 'cancelled', 'voided', 'completed', 'approved', 'released'];

/** A record's status as people read it (see STATUS_SQL); undefined when there is no such record. */
export async function recordStatus(
  db: Knex | Knex.Transaction,
  recordId: string,
): Promise<string | undefined> {
  const row = (await db('records as r')
    .leftJoin('process_instances as pi', 'pi.id', 'r.instance_id')
    .where('r.id', recordId)
    .first(db.raw(`${STATUS_SQL} AS status`))) as { status: string } | undefined;
  return row?.status;
}

interface ViewRow {
  id: string;
  number: string;
  kind: string;
  title: string;
  status: string;
  template_id: string | null;
  template_version: string | null;
  template_version_id: string | null;
  template_title: string | null;
  instance_id: string | null;
  owner_id: string | null;
  owner_username: string | null;
  owner_name: string | null;
  created_at: Date;
  created_by: string;
  due_at: Date | null;
  parent_id: string | null;
  parent_number: string | null;
  raised_from_id: string | null;
  raised_from_number: string | null;
}

/** The open deviations naming a batch, for its release: any critical one holds the batch back. */
export interface BatchDeviations {
  batch: string;
  openDeviations: (RecordView & { classification: string | null })[];
  criticalOpen: boolean;
}

/** Records started from templates: starting one, finding them, and reading one with its links. */
export interface TemplateRecords {
  start(
    principal: Principal,
    input: {
      template: string;
      title: string;
      variables?: Record<string, unknown>;
      raisedFrom?: string | null;
      /** The template's parameter set the record starts from, e.g. a product's recipe. */
      parameterSet?: string | null;
    },
  ): Promise<RecordDetail>;
  list(principal: Principal, filter?: RecordFilter): Promise<{ records: RecordView[]; total: number }>;
  get(principal: Principal, idOrNumber: string): Promise<RecordDetail>;
  batchDeviations(principal: Principal, batch: string): Promise<BatchDeviations>;
  /** A deviation raised from a record by QA's disposition of an exception, in its transaction (F5). */
  startDeviation: StartDeviation;
}

/**
 * Records started from templates (D2): numbered by the template's pattern, unique and without gaps
 * per template and year, even when many start at once (the counter row is taken in the same
 * transaction as the record, so a start that fails gives its number back); pinned to the
 * effective version they started from, with their process instance, owner, due date and links.
 */
export function createTemplateRecords(deps: {
  knex: Knex;
  clock: Clock;
  processes: Pick<ProcessService, 'startIn'>;
  /** The steps a record's process may have done ahead of its flow (F1). */
  stepsAhead: (instanceId: string | null) => Promise<StepAhead[]>;
}): TemplateRecords {
  const { knex, clock, processes, stepsAhead } = deps;

  const views = (db: Knex | Knex.Transaction) =>
    db
      .from('records as r')
      .leftJoin('process_instances as pi', 'pi.id', 'r.instance_id')
      .leftJoin('template_versions as tv', 'tv.id', 'r.template_version_id')
      .leftJoin('users as u', 'u.id', 'r.owner_id')
      .leftJoin('records as p', 'p.id', 'r.parent_id')
      .leftJoin('records as rf', 'rf.id', 'r.raised_from_id')
      .select(
        'r.id',
        'r.number',
        'r.kind',
        'r.title',
        knex.raw(`${STATUS_SQL} AS status`),
        'tv.template_id',
        'tv.version as template_version',
        'r.template_version_id',
        'tv.title as template_title',
        'r.instance_id',
        'r.owner_id',
        'u.username as owner_username',
        'u.printed_name as owner_name',
        'r.created_at',
        'r.created_by',
        'r.due_at',
        'r.parent_id',
        'p.number as parent_number',
        'r.raised_from_id',
        'rf.number as raised_from_number',
      );

  function toView(row: ViewRow, now: Date): RecordView {
    return {
      id: row.id,
      number: row.number,
      kind: row.kind,
      title: row.title,
      status: row.status,
      template: row.template_version_id
        ? {
            id: row.template_id!,
            version: row.template_version!,
            versionId: row.template_version_id,
            title: row.template_title!,
          }
        : null,
      instanceId: row.instance_id,
      owner: row.owner_id
        ? { id: row.owner_id, username: row.owner_username!, printedName: row.owner_name! }
        : null,
      createdAt: row.created_at.toISOString(),
      createdBy: row.created_by,
      dueAt: row.due_at?.toISOString() ?? null,
      overdue: row.due_at !== null && row.due_at < now && !FINISHED.includes(row.status),
      parent: row.parent_id ? { id: row.parent_id, number: row.parent_number! } : null,
      raisedFrom: row.raised_from_id ? { id: row.raised_from_id, number: row.raised_from_number! } : null,
    };
  }

  async function findRecord(db: Knex | Knex.Transaction, idOrNumber: string) {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrNumber);
    return db('records')
      .where(uuid ? { id: idOrNumber } : { number: idOrNumber })
      .first('id', 'number', 'instance_id', 'created_by', 'owner_id');
  }

  /**
   * Starts a record from the effective version of a template (D2): number, record, process
   * instance and their first events in one transaction.
   */
  async function start(
    principal: Principal,
    input: {
      template: string;
      title: string;
      variables?: Record<string, unknown>;
      raisedFrom?: string | null;
      /** The template's parameter set the record starts from, e.g. a product's recipe. */
      parameterSet?: string | null;
    },
  ): Promise<RecordDetail> {
    requirePermission(principal, 'records.create');
    const templateId = requireText(input.template, '/template', 40);
    const title = requireText(input.title, '/title', 200);
    const raisedFrom = optionalText(input.raisedFrom, '/raisedFrom', 100);
    const parameterSet = optionalText(input.parameterSet, '/parameterSet', 60);
    if (
      input.variables !== undefined &&
      (typeof input.variables !== 'object' || input.variables === null || Array.isArray(input.variables))
    ) {
      throw new InputError('Variables must be a JSON object', [
        { pointer: '/variables', keyword: 'type', message: 'must be an object' },
      ]);
    }
    const { id } = await knex.transaction((trx) =>
      startIn(trx, principal, { templateId, title, raisedFrom, parameterSet, variables: input.variables }),
    );
    return get(principal, id);
  }

  /** Starts a record inside the caller's transaction, its input already checked. */
  async function startIn(
    trx: Knex.Transaction,
    principal: Principal,
    input: {
      templateId: string;
      title: string;
      raisedFrom: string | null;
      parameterSet: string | null;
      variables: Record<string, unknown> | undefined;
    },
  ): Promise<{ id: string; number: string }> {
    const { templateId, title, raisedFrom, parameterSet } = input;
    const template = await templateRepository.effective(trx, templateId);
    if (!template) {
      const any = await templateRepository.list(trx, { templateId });
      throw any.length === 0
        ? new NotFoundError(`There is no template ${templateId}`)
        : new ConflictError(
            `Template ${templateId} has no effective version: only an effective version starts records (D2)`,
          );
    }
    const from = raisedFrom ? await findRecord(trx, raisedFrom) : null;
    if (raisedFrom && !from) {
      throw new InputError(`There is no record ${raisedFrom} to raise this one from`, [
        { pointer: '/raisedFrom', keyword: 'reference', message: 'names no record' },
      ]);
    }
    const set = parameterSetFor(template.manifest, parameterSet);
    const at = clock.now();
    const number = await nextRecordNumber(trx, template, at);
    // The chosen set is approved master data: what the starter sends does not override it.
    const variables = {
      ...(template.manifest.parameters ?? {}),
      title,
      ...(input.variables ?? {}),
      ...set,
      ...(parameterSet && { parameterSet }),
      recordNumber: number,
      ...(from && { raisedFrom: from.number }),
    };
    const instance = await processes.startIn(trx, template.definition_id!, principal, {
      variables,
      businessKey: number,
    });
    const recordId = randomUUID();
    await insertTemplateRecord(trx, clock, eventActor(principal), {
      id: recordId,
      number,
      title,
      template,
      instanceId: instance.id,
      createdBy: principal.userId,
      ownerId: principal.userId,
      parentId: null,
      raisedFromId: from?.id ?? null,
      at,
    });
    return { id: recordId, number };
  }

  /** A deviation raised from a record by QA's disposition of an exception, in its transaction (F5). */
  async function startDeviation(
    trx: Knex.Transaction,
    principal: Principal,
    input: { title: string; raisedFrom: string },
  ): Promise<{ id: string; number: string }> {
    requirePermission(principal, 'records.create');
    const title = requireText(input.title, '/deviationTitle', 200);
    return startIn(trx, principal, {
      templateId: 'deviation',
      title,
      raisedFrom: input.raisedFrom,
      parameterSet: null,
      variables: undefined,
    });
  }

  async function list(
    principal: Principal,
    filter: RecordFilter = {},
  ): Promise<{ records: RecordView[]; total: number }> {
    requirePermission(principal, 'audit.read');
    const now = clock.now();
    const base = knex.from(views(knex).as('v'));
    const q = base.clone();
    const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (filter.q)
      q.where((w) => {
        w.whereILike('v.number', like(filter.q!)).orWhereILike('v.title', like(filter.q!));
      });
    if (filter.number) q.whereILike('v.number', like(filter.number));
    if (filter.template) q.where('v.template_id', filter.template);
    if (filter.kind) q.where('v.kind', filter.kind);
    if (filter.status) q.where('v.status', filter.status);
    if (filter.owner) q.where('v.owner_username', filter.owner);
    if (filter.parent) q.where('v.parent_id', filter.parent);
    if (filter.dueBefore) {
      const before = new Date(filter.dueBefore);
      if (Number.isNaN(before.getTime())) {
        throw new InputError('dueBefore is not a date and time', [
          { pointer: '/dueBefore', keyword: 'format', message: 'must be a date and time' },
        ]);
      }
      q.where('v.due_at', '<', before);
    }
    if (filter.overdue !== undefined) {
      const overdue = (w: Knex.QueryBuilder) => {
        w.where('v.due_at', '<', now).whereNotIn('v.status', FINISHED);
      };
      if (filter.overdue) q.where(overdue);
      else q.whereNot(overdue);
    }
    const counted = (await q.clone().count({ total: '*' })) as { total: string | number }[];
    const total = counted[0]?.total ?? 0;
    const rows = (await q
      .select('v.*')
      .orderBy('v.created_at', 'desc')
      .orderBy('v.number', 'desc')
      .limit(Math.min(Math.max(filter.limit ?? 50, 1), 200))
      .offset(Math.max(filter.offset ?? 0, 0))) as ViewRow[];
    return { records: rows.map((r) => toView(r, now)), total: Number(total) };
  }

  /** A record by id or number, with its children, open tasks and process variables. */
  async function get(principal: Principal, idOrNumber: string): Promise<RecordDetail> {
    requirePermission(principal, 'audit.read');
    const found = await findRecord(knex, idOrNumber);
    if (!found) throw new NotFoundError(`There is no record ${idOrNumber}`);
    const now = clock.now();
    const row = (await views(knex).where('r.id', found.id).first()) as ViewRow;
    const children = (await views(knex).where('r.parent_id', found.id).orderBy('r.created_at')) as ViewRow[];
    const tasks = found.instance_id
      ? await knex('tasks')
          .whereRaw(
            `instance_id IN (WITH RECURSIVE tree AS (SELECT id FROM process_instances WHERE id = ?
                 UNION ALL SELECT c.id FROM process_instances c JOIN tree ON c.parent_instance_id = tree.id
                   WHERE NOT EXISTS (SELECT 1 FROM records x WHERE x.instance_id = c.id))
               SELECT id FROM tree)`,
            [found.instance_id],
          )
          .where({ status: 'open' })
          .orderBy('created_at')
      : [];
    const instance = found.instance_id
      ? await knex('process_instances').where({ id: found.instance_id }).first('variables')
      : null;
    return {
      ...toView(row, now),
      children: children.map((c) => ({ id: c.id, number: c.number, kind: c.kind, status: c.status })),
      openTasks: tasks.map((t: Record<string, unknown>) => ({
        id: t.id as string,
        elementId: t.element_id as string,
        name: t.name as string | null,
        candidateRoles: t.candidate_roles as string[],
        candidateUser: t.candidate_user as string | null,
        assignee: t.assignee as string | null,
        dueAt: (t.due_at as Date | null)?.toISOString() ?? null,
      })),
      variables: (instance?.variables as Record<string, unknown>) ?? {},
      stepsAhead: await stepsAhead(found.instance_id),
    };
  }

  /**
   * Open deviations that name a batch among their affected batches, and whether any is critical:
   * batch release is refused while one is (F5).
   */
  async function batchDeviations(principal: Principal, batch: string): Promise<BatchDeviations> {
    requirePermission(principal, 'audit.read');
    const name = requireText(batch, '/batch', 100);
    const now = clock.now();
    const rows = (await knex
      .from(views(knex).as('v'))
      .join('process_instances as i', 'i.id', 'v.instance_id')
      .where('v.kind', 'deviation')
      .whereNotIn('v.status', FINISHED)
      .whereRaw(
        `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(i.variables->'affectedBatches') = 'array'
                   THEN i.variables->'affectedBatches' ELSE '[]'::jsonb END) AS b(row)
                 WHERE b.row->>'batch' = ? OR b.row #>> '{}' = ?)`,
        [name, name],
      )
      .select('v.*', knex.raw(`i.variables->>'classification' AS classification`))
      .orderBy('v.number')) as (ViewRow & { classification: string | null })[];
    const deviations = rows.map((r) => ({ ...toView(r, now), classification: r.classification }));
    return {
      batch: name,
      openDeviations: deviations,
      criticalOpen: deviations.some((d) => d.classification === 'critical'),
    };
  }

  return { start, startDeviation, list, get, batchDeviations };
}
