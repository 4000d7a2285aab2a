import type { Knex } from 'knex';
import type { AuditEvent } from '../../audit/types.ts';
import { isUniqueViolation, preparedQuery } from '../../db/database.ts';
import { ConflictError } from '../../kernel/errors.ts';
import type {
  InstanceStatus,
  JobKind,
  NewIncident,
  NewJob,
  NewSubscription,
  NewTask,
  Scope,
  Token,
} from '../execution/types.ts';
import type { ProcessGraph } from '../model/graph.ts';

type Db = Knex | Knex.Transaction;

export interface DefinitionRow {
  id: string;
  key: string;
  version: number;
  name: string | null;
  content_hash: string;
  deployed_at: Date;
  deployed_by: string;
}

export interface InstanceRow {
  id: string;
  definition_id: string;
  key: string;
  business_key: string | null;
  status: InstanceStatus;
  tokens: Token[];
  scopes: Scope[];
  variables: Record<string, unknown>;
  version: number;
  head_hash: string;
  started_at: Date;
  started_by: string | null;
  ended_at: Date | null;
  parent_instance_id: string | null;
  parent_token_id: string | null;
  parent_element_id: string | null;
}

export interface TaskRow {
  id: string;
  instance_id: string;
  /** Null for a repeated or added step (D7): no token of the model waits on it. */
  token_id: string | null;
  element_id: string;
  name: string | null;
  status: TaskStatus;
  /** flow: created by a token of the model; repeat or added: by a run-time change (D7); early: F1. */
  origin: TaskOrigin;
  /** For a repeated or added step: the form version it is filled in with. */
  form_id: string | null;
  candidate_roles: string[];
  /** User name of the one person who may work on it (`attest:assignee`); null: decided by roles. */
  candidate_user: string | null;
  form_key: string | null;
  assignee: string | null;
  created_at: Date;
  due_at: Date | null;
  completed_at: Date | null;
  completed_by: string | null;
  /** The record the task's instance carries, when the list asks for it. */
  record_id?: string | null;
  record_number?: string | null;
  record_title?: string | null;
}

export interface JobRow {
  id: string;
  instance_id: string | null;
  definition_id: string | null;
  token_id: string;
  element_id: string;
  kind: JobKind;
  payload: Record<string, unknown> | null;
  attempts: number;
  due_at: Date;
}

const JOB_COLUMNS = [
  'id',
  'instance_id',
  'definition_id',
  'token_id',
  'element_id',
  'kind',
  'payload',
  'attempts',
  'due_at',
] as const;

export interface SubscriptionRow {
  instance_id: string;
  token_id: string;
  element_id: string;
  kind: 'message' | 'signal';
  name: string;
  correlation_key: string | null;
  created_at: Date;
}

export interface IncidentRow {
  id: string;
  instance_id: string;
  token_id: string;
  element_id: string;
  message: string;
  created_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
}

/** Where a task is; `skipped`: withdrawn by a run-time change, the flow went on without its values (D7). */
export type TaskStatus = 'open' | 'completed' | 'cancelled' | 'skipped';
/** flow: made by a token; repeat or added: by a run-time change (D7); early: done ahead of the flow (F1). */
export type TaskOrigin = 'flow' | 'repeat' | 'added' | 'early';

/** What one move writes besides the instance row: all of it lands in the same statement. */
export interface Writes {
  at: Date;
  taskUpdates: {
    id: string;
    status: TaskStatus;
    completedBy: string | null;
    assignee: string | null;
  }[];
  newTasks: NewTask[];
  newJobs: NewJob[];
  /** `scheduled`: a failed job taken up again (its incident was retried). */
  jobUpdates: { id: string; status: 'done' | 'cancelled' | 'scheduled' }[];
  newSubscriptions: NewSubscription[];
  closedSubscriptions: string[];
  incidents: NewIncident[];
  resolvedIncidents: string[];
  resolvedBy: string | null;
  events: Omit<AuditEvent, 'id'>[];
}

const INSTANCE_COLUMNS =
  'id, definition_id, key, business_key, status, tokens, scopes, variables, version, head_hash, started_at, started_by, ended_at, parent_instance_id, parent_token_id, parent_element_id';

/**
 * Everything moves write besides the instance rows, for any number of instances in one statement.
 * Each part only lands for an instance whose own row was written (`inst`): a stale version writes
 * nothing at all for that instance, and the others are not affected.
 */
const WRITES = `
  tasks_updated AS (
    UPDATE tasks SET status = u.status,
                     assignee = COALESCE(u.assignee, tasks.assignee),
                     completed_at = CASE WHEN u.status = 'open' THEN NULL ELSE u.at END,
                     completed_by = u.completed_by
      FROM jsonb_to_recordset($2::jsonb) AS u(instance_id uuid, id uuid, status text, completed_by uuid,
                                               assignee uuid, at timestamptz)
     WHERE tasks.id = u.id AND tasks.status = 'open' AND u.instance_id IN (SELECT id FROM inst)
  ),
  tasks_created AS (
    INSERT INTO tasks (id, instance_id, token_id, element_id, name, status, candidate_roles, candidate_user,
                       form_key, created_at, due_at)
    SELECT n.id, n.instance_id, n.token_id, n.element_id, n.name, 'open',
           ARRAY(SELECT jsonb_array_elements_text(n.candidate_roles)), n.candidate_user, n.form_key, n.created_at,
           n.due_at
      FROM jsonb_to_recordset($3::jsonb) AS n(instance_id uuid, id uuid, token_id text, element_id text, name text,
                                               candidate_roles jsonb, candidate_user text, form_key text,
                                               created_at timestamptz, due_at timestamptz)
     WHERE n.instance_id IN (SELECT id FROM inst)
  ),
  incidents_raised AS (
    INSERT INTO incidents (id, instance_id, token_id, element_id, message, created_at)
    SELECT i.id, i.instance_id, i.token_id, i.element_id, i.message, i.created_at
      FROM jsonb_to_recordset($4::jsonb) AS i(instance_id uuid, id uuid, token_id text, element_id text, message text,
                                               created_at timestamptz)
     WHERE i.instance_id IN (SELECT id FROM inst)
  ),
  incidents_resolved AS (
    UPDATE incidents SET resolved_at = r.at, resolved_by = r.resolved_by
      FROM jsonb_to_recordset($5::jsonb) AS r(instance_id uuid, id uuid, at timestamptz, resolved_by uuid)
     WHERE incidents.id = r.id AND incidents.resolved_at IS NULL AND r.instance_id IN (SELECT id FROM inst)
  ),
  events_appended AS (
    INSERT INTO events (record_id, record_type, seq, type, actor_id, actor_name, at, payload, reason, prev_hash, hash)
    SELECT e.record_id, 'instance', e.seq, e.type, e.actor_id, e.actor_name, e.at, e.payload, e.reason, e.prev_hash, e.hash
      FROM jsonb_to_recordset($6::jsonb) AS e(record_id uuid, seq int, type text, actor_id uuid, actor_name text,
                                               at timestamptz, payload jsonb, reason text, prev_hash text, hash text)
     WHERE e.record_id IN (SELECT id FROM inst)
  ),
  jobs_created AS (
    INSERT INTO jobs (id, instance_id, token_id, element_id, kind, payload, due_at, status, created_at)
    SELECT j.id, j.instance_id, j.token_id, j.element_id, j.kind, j.payload, j.due_at, 'scheduled', j.created_at
      FROM jsonb_to_recordset($7::jsonb) AS j(owner_id uuid, instance_id uuid, id uuid, token_id text,
                                               element_id text, kind text, payload jsonb, due_at timestamptz,
                                               created_at timestamptz)
     WHERE j.owner_id IN (SELECT id FROM inst)
  ),
  jobs_closed AS (
    UPDATE jobs SET status = c.status,
                    done_at = CASE WHEN c.status = 'scheduled' THEN NULL ELSE c.at END,
                    due_at = CASE WHEN c.status = 'scheduled' THEN c.at ELSE jobs.due_at END,
                    attempts = CASE WHEN c.status = 'scheduled' THEN 0 ELSE jobs.attempts END
      FROM jsonb_to_recordset($8::jsonb) AS c(instance_id uuid, id uuid, status text, at timestamptz)
     WHERE jobs.id = c.id AND c.instance_id IN (SELECT id FROM inst)
       AND (jobs.status = 'scheduled' OR (c.status = 'scheduled' AND jobs.status = 'failed'))
  ),
  subscriptions_opened AS (
    INSERT INTO subscriptions (instance_id, token_id, element_id, kind, name, correlation_key, created_at)
    SELECT s.instance_id, s.token_id, s.element_id, s.kind, s.name, s.correlation_key, s.created_at
      FROM jsonb_to_recordset($9::jsonb) AS s(instance_id uuid, token_id text, element_id text, kind text,
                                               name text, correlation_key text, created_at timestamptz)
     WHERE s.instance_id IN (SELECT id FROM inst)
  ),
  subscriptions_closed AS (
    UPDATE subscriptions SET closed_at = c.at
      FROM jsonb_to_recordset($10::jsonb) AS c(instance_id uuid, token_id text, at timestamptz)
     WHERE subscriptions.instance_id = c.instance_id AND subscriptions.token_id = c.token_id
       AND subscriptions.closed_at IS NULL AND c.instance_id IN (SELECT id FROM inst)
  )
  SELECT id FROM inst`;

const START_SQL = `
  WITH inst AS (
    INSERT INTO process_instances (id, status, tokens, scopes, variables, version, head_hash, ended_at,
                                   definition_id, key, business_key, started_at, started_by,
                                   parent_instance_id, parent_token_id, parent_element_id)
    SELECT x.id, x.status, x.tokens, x.scopes, x.variables, x.version, x.head_hash, x.ended_at,
           x.definition_id, x.key, x.business_key, x.started_at, x.started_by,
           x.parent_instance_id, x.parent_token_id, x.parent_element_id
      FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, tokens jsonb, scopes jsonb, variables jsonb,
                                               version int, head_hash text, ended_at timestamptz, definition_id uuid,
                                               key text, business_key text, started_at timestamptz, started_by uuid,
                                               parent_instance_id uuid, parent_token_id text,
                                               parent_element_id text)
    RETURNING id
  ),${WRITES}`;

const MOVE_SQL = `
  WITH inst AS (
    UPDATE process_instances p
       SET status = x.status, tokens = x.tokens, scopes = x.scopes, variables = x.variables,
           version = x.version, head_hash = x.head_hash, ended_at = x.ended_at
      FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, old_version int, status text, tokens jsonb, scopes jsonb,
                                               variables jsonb, version int, head_hash text, ended_at timestamptz)
     WHERE p.id = x.id AND p.version = x.old_version
    RETURNING p.id
  ),${WRITES}`;

/** One move of one instance: its next row and what else it writes. */
export interface InstanceWrite {
  instance: Pick<InstanceRow, 'id' | 'status' | 'tokens' | 'scopes' | 'variables' | 'ended_at'>;
  /** The version the move was computed from; the write lands only if the row is still at it. */
  oldVersion: number;
  writes: Writes;
}

/** The parameters $2–$10 shared by starts and moves: each row names its instance. */
function writeParameters(items: { instance: { id: string }; writes: Writes }[]): string[] {
  const rows = <T>(pick: (w: Writes, id: string, at: Date) => T[]) =>
    JSON.stringify(items.flatMap(({ instance, writes }) => pick(writes, instance.id, writes.at)));
  return [
    rows((w, instance_id, at) =>
      w.taskUpdates.map((u) => ({
        instance_id,
        id: u.id,
        status: u.status,
        completed_by: u.completedBy,
        assignee: u.assignee,
        at,
      })),
    ),
    rows((w, instance_id, created_at) =>
      w.newTasks.map((t) => ({
        instance_id,
        id: t.id,
        token_id: t.tokenId,
        element_id: t.elementId,
        name: t.name,
        candidate_roles: t.candidateRoles,
        candidate_user: t.assignee,
        form_key: t.formKey,
        created_at,
        due_at: t.dueAt,
      })),
    ),
    rows((w, instance_id, created_at) =>
      w.incidents.map((i) => ({
        instance_id,
        id: i.id,
        token_id: i.tokenId,
        element_id: i.elementId,
        message: i.message,
        created_at,
      })),
    ),
    rows((w, instance_id, at) =>
      w.resolvedIncidents.map((id) => ({ instance_id, id, at, resolved_by: w.resolvedBy })),
    ),
    rows((w) =>
      w.events.map((e) => ({
        record_id: e.recordId,
        seq: e.seq,
        type: e.type,
        actor_id: e.actorId,
        actor_name: e.actorName,
        at: e.at,
        payload: e.payload,
        reason: e.reason,
        prev_hash: e.prevHash,
        hash: e.hash,
      })),
    ),
    rows((w, owner_id, created_at) =>
      w.newJobs.map((j) => ({
        owner_id,
        instance_id: j.instanceId ?? owner_id,
        id: j.id,
        token_id: j.tokenId,
        element_id: j.elementId,
        kind: j.kind,
        payload: j.payload,
        due_at: j.dueAt,
        created_at,
      })),
    ),
    rows((w, instance_id, at) => w.jobUpdates.map((u) => ({ instance_id, id: u.id, status: u.status, at }))),
    rows((w, instance_id, created_at) =>
      w.newSubscriptions.map((s) => ({
        instance_id,
        token_id: s.tokenId,
        element_id: s.elementId,
        kind: s.kind,
        name: s.name,
        correlation_key: s.correlationKey,
        created_at,
      })),
    ),
    rows((w, instance_id, at) => w.closedSubscriptions.map((token_id) => ({ instance_id, token_id, at }))),
  ];
}

const head = (w: Writes) => w.events[w.events.length - 1]!;

/** Tasks with the number and title of the record their instance carries (none for a bare instance). */
const tasksWithRecord = (db: Db) =>
  db<TaskRow>('tasks')
    .leftJoin('records', 'records.instance_id', 'tasks.instance_id')
    .select(
      'tasks.*',
      'records.id as record_id',
      'records.number as record_number',
      'records.title as record_title',
    );

export const processRepository = {
  async findDefinitionByHash(db: Db, key: string, contentHash: string): Promise<DefinitionRow | undefined> {
    return db('process_definitions')
      .where({ key, content_hash: contentHash })
      .first('id', 'key', 'version', 'name', 'content_hash', 'deployed_at', 'deployed_by');
  },

  /** Read on every start, so a prepared statement. */
  async latestDefinition(db: Db, key: string): Promise<DefinitionRow | undefined> {
    const rows = await preparedQuery<DefinitionRow>(
      db,
      'attest_latest_definition',
      `SELECT id, key, version, name, content_hash, deployed_at, deployed_by FROM process_definitions
        WHERE key = $1 ORDER BY version DESC LIMIT 1`,
      [key],
    );
    return rows[0];
  },

  async findDefinition(db: Db, id: string): Promise<DefinitionRow | undefined> {
    return db('process_definitions')
      .where({ id })
      .first('id', 'key', 'version', 'name', 'content_hash', 'deployed_at', 'deployed_by');
  },

  /** The latest version of every process key. */
  async latestDefinitions(db: Db): Promise<DefinitionRow[]> {
    const { rows } = await db.raw(
      `SELECT DISTINCT ON (key) id, key, version, name, content_hash, deployed_at, deployed_by
         FROM process_definitions ORDER BY key, version DESC`,
    );
    return rows as DefinitionRow[];
  },

  async definitionGraph(db: Db, id: string): Promise<{ graph: ProcessGraph; version: number } | undefined> {
    const row = await db('process_definitions').where({ id }).first('graph', 'version');
    return row ? { graph: row.graph as ProcessGraph, version: row.version as number } : undefined;
  },

  async insertDefinition(db: Db, row: DefinitionRow & { xml: string; graph: ProcessGraph }): Promise<void> {
    try {
      await db('process_definitions').insert({ ...row, graph: JSON.stringify(row.graph) });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`Process ${row.key} was deployed at the same time; try again`);
      throw error;
    }
  },

  async listDefinitions(db: Db): Promise<DefinitionRow[]> {
    return db('process_definitions')
      .orderBy([{ column: 'key' }, { column: 'version', order: 'desc' }])
      .select('id', 'key', 'version', 'name', 'content_hash', 'deployed_at', 'deployed_by');
  },

  async findInstance(db: Db, id: string): Promise<InstanceRow | undefined> {
    const rows = await preparedQuery<InstanceRow>(
      db,
      'attest_find_instance',
      `SELECT ${INSTANCE_COLUMNS} FROM process_instances WHERE id = $1`,
      [id],
    );
    return rows[0];
  },

  /**
   * Holds an instance at the version a command read, until the transaction ends: writers of the
   * same instance (two completions of one task, a save beside a completion) then queue here rather
   * than collide further on, and the later ones find the instance moved on: a clean conflict.
   */
  async lockInstanceAt(db: Db, id: string, version: number): Promise<void> {
    const rows: unknown[] = await db('process_instances')
      .where({ id, version })
      .forUpdate()
      .select(db.raw('1'));
    if (rows.length === 0) throw new ConflictError('The task was completed or changed meanwhile; reload it');
  },

  /** A task with its instance, in one read: what completing or claiming it needs. */
  async findTaskWithInstance(
    db: Db,
    taskId: string,
  ): Promise<{ task: TaskRow; instance: InstanceRow } | undefined> {
    const rows = await preparedQuery<{ task: TaskRow; instance: InstanceRow }>(
      db,
      'attest_find_task',
      `SELECT to_jsonb(t) AS task, to_jsonb(i) AS instance
         FROM tasks t JOIN process_instances i ON i.id = t.instance_id WHERE t.id = $1`,
      [taskId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const { task, instance } = row;
    // to_jsonb gives times as text; the rest of the engine works with Dates.
    const date = (v: Date | string | null) => (v === null ? null : new Date(v));
    return {
      task: {
        ...task,
        created_at: new Date(task.created_at),
        due_at: date(task.due_at),
        completed_at: date(task.completed_at),
      },
      instance: { ...instance, started_at: new Date(instance.started_at), ended_at: date(instance.ended_at) },
    };
  },

  /** Which of these elements of an instance the user completed a task of. */
  async completedBy(db: Db, instanceId: string, userId: string, elementIds: string[]): Promise<string[]> {
    const rows = await db('tasks')
      .where({ instance_id: instanceId, completed_by: userId, status: 'completed' })
      .whereIn('element_id', elementIds)
      .distinct('element_id');
    return rows.map((r: { element_id: string }) => r.element_id);
  },

  /** One task with the record its instance carries, whatever its status. */
  async findTask(db: Db, taskId: string): Promise<TaskRow | undefined> {
    return (await tasksWithRecord(db).where({ 'tasks.id': taskId }).first()) as TaskRow | undefined;
  },

  /** The repeated or added steps (D7) of an instance still open: no token waits on them. */
  async openChangedTasks(db: Db, instanceId: string): Promise<string[]> {
    return db('tasks')
      .where({ instance_id: instanceId, status: 'open' })
      .whereNot('origin', 'flow')
      .orderBy('id')
      .pluck('id');
  },

  /**
   * The step done ahead of the flow (F1) at an element that no task of the flow has taken up yet:
   * completed, its values waiting for the process to reach the element.
   */
  async aheadDone(
    db: Db,
    instanceId: string,
    elementId: string,
  ): Promise<{ id: string; completed_by: string } | undefined> {
    return db('tasks as e')
      .where({
        'e.instance_id': instanceId,
        'e.element_id': elementId,
        'e.origin': 'early',
        'e.status': 'completed',
      })
      .whereRaw('NOT EXISTS (SELECT 1 FROM tasks f WHERE f.done_ahead = e.id)')
      .orderBy('e.completed_at')
      .first('e.id', 'e.completed_by');
  },

  /** What a step done ahead gives the flow: the values its completion kept for it (F1). */
  async aheadOutput(db: Db, instanceId: string, taskId: string): Promise<Record<string, unknown>> {
    const row = (await db('events')
      .where({ record_id: instanceId, type: 'task.completed' })
      .whereRaw(`payload->>'taskId' = ?`, [taskId])
      .first('payload')) as { payload: { output?: Record<string, unknown> } } | undefined;
    return row?.payload.output ?? {};
  },

  /** The flow's task at an element took up the values of the step done ahead there (F1). */
  async markDoneAhead(db: Db, flowTaskId: string, aheadTaskId: string): Promise<void> {
    await db('tasks').where({ id: flowTaskId }).update({ done_ahead: aheadTaskId });
  },

  /** A repeated or added step (D7): a task no token waits on, written by the change that made it. */
  async insertChangedTask(db: Db, t: TaskRow): Promise<void> {
    await db('tasks').insert({
      id: t.id,
      instance_id: t.instance_id,
      token_id: null,
      element_id: t.element_id,
      name: t.name,
      status: 'open',
      origin: t.origin,
      form_id: t.form_id,
      candidate_roles: t.candidate_roles,
      candidate_user: t.candidate_user,
      form_key: t.form_key,
      created_at: t.created_at,
      due_at: null,
    });
  },

  async openTasks(
    db: Db,
    filter: { roles: string[]; username: string; instanceId?: string },
  ): Promise<TaskRow[]> {
    const q = tasksWithRecord(db)
      .where({ 'tasks.status': 'open' })
      .where((w) => {
        w.where({ candidate_user: filter.username }).orWhere((byRole) => {
          byRole.whereNull('candidate_user').where((r) => {
            r.whereRaw('cardinality(candidate_roles) = 0').orWhereRaw('candidate_roles && ?::text[]', [
              filter.roles,
            ]);
          });
        });
      })
      .orderBy('tasks.created_at');
    if (filter.instanceId) q.where({ 'tasks.instance_id': filter.instanceId });
    return (await q) as TaskRow[];
  },

  async findIncident(db: Db, id: string): Promise<IncidentRow | undefined> {
    return db<IncidentRow>('incidents').where({ id }).first() as Promise<IncidentRow | undefined>;
  },

  async openIncidents(db: Db, instanceId?: string): Promise<IncidentRow[]> {
    const q = db<IncidentRow>('incidents').whereNull('resolved_at').orderBy('created_at');
    if (instanceId) q.where({ instance_id: instanceId });
    return (await q) as IncidentRow[];
  },

  /**
   * Takes the next due job that nobody holds a lease on, locked for this transaction; other workers
   * skip it rather than wait (SKIP LOCKED), so any number of runtime processes share the work
   * without doing it twice. A lease that ran out no longer holds its job.
   */
  async lockDueJob(trx: Knex.Transaction, now: Date): Promise<JobRow | undefined> {
    const rows = await preparedQuery<JobRow>(
      trx,
      'attest_lock_due_leased_job',
      `SELECT id, instance_id, definition_id, token_id, element_id, kind, payload, attempts, due_at FROM jobs
        WHERE status = 'scheduled' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
        ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [now],
    );
    return rows[0];
  },

  /** Holds a locked job for `owner` until `until`: committed, it keeps other workers off it. */
  async leaseJob(trx: Knex.Transaction, id: string, owner: string, until: Date): Promise<void> {
    await trx('jobs').where({ id }).update({ lease_owner: owner, lease_until: until });
  },

  /**
   * The job, locked, if `owner`'s lease on it still holds at `now`: still scheduled, not taken by
   * another worker, not run out. Undefined otherwise: whatever the holder did is refused.
   */
  async lockLeasedJob(
    trx: Knex.Transaction,
    id: string,
    owner: string,
    now: Date,
  ): Promise<JobRow | undefined> {
    return (await trx('jobs')
      .where({ id, status: 'scheduled', lease_owner: owner })
      .where('lease_until', '>', now)
      .forUpdate()
      .first(...JOB_COLUMNS)) as JobRow | undefined;
  },

  /** Gives up `owner`'s lease, so that the job is taken again at once. */
  async releaseJob(db: Db, id: string, owner: string): Promise<void> {
    await db('jobs').where({ id, lease_owner: owner }).update({ lease_owner: null, lease_until: null });
  },

  /** A failed attempt: tried again after `retryAt`, or given up for good; its lease ends with it. */
  async failJob(db: Db, id: string, error: string, retryAt: Date | null, now: Date): Promise<void> {
    await db('jobs')
      .where({ id })
      .increment('attempts', 1)
      .update({
        lease_owner: null,
        lease_until: null,
        ...(retryAt
          ? { last_error: error, due_at: retryAt }
          : { last_error: error, status: 'failed', done_at: now }),
      });
  },

  /** Open subscriptions for a message or signal, oldest first; a message needs its correlation key to match. */
  async openSubscriptions(
    db: Db,
    kind: 'message' | 'signal',
    name: string,
    correlationKey?: string | null,
  ): Promise<SubscriptionRow[]> {
    const q = db<SubscriptionRow>('subscriptions')
      .whereNull('closed_at')
      .where({ kind, name })
      .orderBy('created_at')
      .select('instance_id', 'token_id', 'element_id', 'kind', 'name', 'correlation_key', 'created_at');
    // A token waiting without a key takes any message of its name; one with a key only that key.
    if (correlationKey !== undefined) {
      if (correlationKey === null) q.whereNull('correlation_key');
      else
        q.where((w) => {
          w.where({ correlation_key: correlationKey }).orWhereNull('correlation_key');
        });
    }
    return (await q) as SubscriptionRow[];
  },

  /** Schedules jobs that belong to no instance: timer start events of a definition. */
  async insertStartJobs(
    db: Db,
    jobs: {
      id: string;
      definitionId: string;
      elementId: string;
      dueAt: Date;
      payload: Record<string, unknown>;
    }[],
    at: Date,
  ): Promise<void> {
    if (jobs.length === 0) return;
    await db('jobs').insert(
      jobs.map((j) => ({
        id: j.id,
        instance_id: null,
        definition_id: j.definitionId,
        token_id: j.elementId,
        element_id: j.elementId,
        kind: 'start',
        payload: JSON.stringify(j.payload),
        due_at: j.dueAt,
        status: 'scheduled',
        created_at: at,
      })),
    );
  },

  /** Ends the scheduled timer start jobs of earlier versions of a process: only the latest starts instances. */
  async cancelStartJobs(db: Db, key: string, except: string, at: Date): Promise<void> {
    await db('jobs')
      .where({ kind: 'start', status: 'scheduled' })
      .whereIn(
        'definition_id',
        db('process_definitions').select('id').where({ key }).whereNot({ id: except }),
      )
      .update({ status: 'cancelled', done_at: at });
  },

  async closeJob(db: Db, id: string, status: 'done' | 'cancelled', at: Date): Promise<void> {
    await db('jobs').where({ id }).update({ status, done_at: at });
  },

  /** Failed jobs that gave up and hold no incident (a thrown message nobody received). */
  async failedJobs(
    db: Db,
    instanceId?: string,
  ): Promise<(JobRow & { last_error: string | null; done_at: Date })[]> {
    const q = db('jobs')
      .where({ status: 'failed' })
      .orderBy('done_at')
      .select(...JOB_COLUMNS, 'last_error', 'done_at');
    if (instanceId) q.where({ instance_id: instanceId });
    return q;
  },

  /** Instances whose recorded head is not the head of their audit chain: state out of step with the log. */
  async instancesOutOfStep(db: Db): Promise<{ id: string; version: number; seq: number | null }[]> {
    const { rows } = await db.raw(
      `SELECT i.id, i.version, h.seq FROM process_instances i
         LEFT JOIN LATERAL (SELECT seq, hash FROM events WHERE record_id = i.id ORDER BY seq DESC LIMIT 1) h ON true
        WHERE h.seq IS DISTINCT FROM i.version OR h.hash IS DISTINCT FROM i.head_hash`,
    );
    return rows;
  },

  /** Writes new instances and everything their first moves did, in one statement. */
  async start(db: Db, items: { instance: InstanceRow; writes: Writes }[]): Promise<void> {
    const instances = items.map(({ instance: i, writes }) => ({
      id: i.id,
      status: i.status,
      tokens: i.tokens,
      scopes: i.scopes,
      variables: i.variables,
      version: head(writes).seq,
      head_hash: head(writes).hash,
      ended_at: i.ended_at,
      definition_id: i.definition_id,
      key: i.key,
      business_key: i.business_key,
      started_at: i.started_at,
      started_by: i.started_by,
      parent_instance_id: i.parent_instance_id,
      parent_token_id: i.parent_token_id,
      parent_element_id: i.parent_element_id,
    }));
    await preparedQuery(db, 'attest_start_instances', START_SQL, [
      JSON.stringify(instances),
      ...writeParameters(items),
    ]);
  },

  /**
   * Writes moves of several instances (at most one each) in one statement. Returns the ids whose
   * move landed; an instance someone else moved first is left out and nothing of its move is written.
   */
  async move(db: Db, items: InstanceWrite[]): Promise<Set<string>> {
    const instances = items.map(({ instance: i, oldVersion, writes }) => ({
      id: i.id,
      old_version: oldVersion,
      status: i.status,
      tokens: i.tokens,
      scopes: i.scopes,
      variables: i.variables,
      version: head(writes).seq,
      head_hash: head(writes).hash,
      ended_at: i.ended_at,
    }));
    const rows = await preparedQuery<{ id: string }>(db, 'attest_move_instances', MOVE_SQL, [
      JSON.stringify(instances),
      ...writeParameters(items),
    ]);
    return new Set(rows.map((r) => r.id));
  },
};
