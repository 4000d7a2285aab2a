import type { Knex } from 'knex';
import type { AuditEvent } from '../audit/types.ts';
import { isUniqueViolation, preparedQuery } from '../db/database.ts';
import { ConflictError } from '../errors.ts';
import type { InstanceStatus, NewIncident, NewJob, NewTask, Token } from './executor.ts';
import type { ProcessGraph } from './graph.ts';

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
  variables: Record<string, unknown>;
  version: number;
  head_hash: string;
  started_at: Date;
  started_by: string;
  ended_at: Date | null;
}

export interface TaskRow {
  id: string;
  instance_id: string;
  token_id: string;
  element_id: string;
  name: string | null;
  status: 'open' | 'completed' | 'cancelled';
  candidate_roles: string[];
  form_key: string | null;
  assignee: string | null;
  created_at: Date;
  due_at: Date | null;
  completed_at: Date | null;
  completed_by: string | null;
}

export interface JobRow {
  id: string;
  instance_id: string;
  token_id: string;
  element_id: string;
  attempts: number;
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

/** What one move writes besides the instance row: all of it lands in the same statement. */
export interface Writes {
  at: Date;
  taskUpdates: {
    id: string;
    status: 'open' | 'completed' | 'cancelled';
    completedBy: string | null;
    assignee: string | null;
  }[];
  newTasks: NewTask[];
  newJobs: NewJob[];
  jobUpdates: { id: string; status: 'done' | 'cancelled' }[];
  incidents: NewIncident[];
  resolvedIncidents: string[];
  resolvedBy: string | null;
  events: Omit<AuditEvent, 'id'>[];
}

const INSTANCE_COLUMNS =
  'id, definition_id, key, business_key, status, tokens, variables, version, head_hash, started_at, started_by, ended_at';

// Everything a move writes besides the instance row, each part guarded by the instance write: a
// stale version writes nothing at all.
const WRITES = `
  tasks_updated AS (
    UPDATE tasks SET status = u.status,
                     assignee = COALESCE(u.assignee, tasks.assignee),
                     completed_at = CASE WHEN u.status = 'open' THEN NULL ELSE $8::timestamptz END,
                     completed_by = u.completed_by
      FROM jsonb_to_recordset($9::jsonb) AS u(id uuid, status text, completed_by uuid, assignee uuid)
     WHERE tasks.id = u.id AND tasks.status = 'open' AND EXISTS (SELECT 1 FROM inst)
  ),
  tasks_created AS (
    INSERT INTO tasks (id, instance_id, token_id, element_id, name, status, candidate_roles, form_key, created_at, due_at)
    SELECT n.id, $1, n.token_id, n.element_id, n.name, 'open',
           ARRAY(SELECT jsonb_array_elements_text(n.candidate_roles)), n.form_key, $8, n.due_at
      FROM jsonb_to_recordset($10::jsonb) AS n(id uuid, token_id text, element_id text, name text,
                                                candidate_roles jsonb, form_key text, due_at timestamptz)
     WHERE EXISTS (SELECT 1 FROM inst)
  ),
  incidents_raised AS (
    INSERT INTO incidents (id, instance_id, token_id, element_id, message, created_at)
    SELECT i.id, $1, i.token_id, i.element_id, i.message, $8
      FROM jsonb_to_recordset($11::jsonb) AS i(id uuid, token_id text, element_id text, message text)
     WHERE EXISTS (SELECT 1 FROM inst)
  ),
  incidents_resolved AS (
    UPDATE incidents SET resolved_at = $8, resolved_by = $12
     WHERE id = ANY($13::uuid[]) AND resolved_at IS NULL AND EXISTS (SELECT 1 FROM inst)
  ),
  events_appended AS (
    INSERT INTO events (record_id, record_type, seq, type, actor_id, actor_name, at, payload, reason, prev_hash, hash)
    SELECT $1, 'instance', e.seq, e.type, e.actor_id, e.actor_name, e.at, e.payload, e.reason, e.prev_hash, e.hash
      FROM jsonb_to_recordset($14::jsonb) AS e(seq int, type text, actor_id uuid, actor_name text, at timestamptz,
                                                payload jsonb, reason text, prev_hash text, hash text)
     WHERE EXISTS (SELECT 1 FROM inst)
  ),
  jobs_created AS (
    INSERT INTO jobs (id, instance_id, token_id, element_id, kind, due_at, status, created_at)
    SELECT j.id, $1, j.token_id, j.element_id, 'timer', j.due_at, 'scheduled', $8
      FROM jsonb_to_recordset($15::jsonb) AS j(id uuid, token_id text, element_id text, due_at timestamptz)
     WHERE EXISTS (SELECT 1 FROM inst)
  ),
  jobs_closed AS (
    UPDATE jobs SET status = c.status, done_at = $8
      FROM jsonb_to_recordset($16::jsonb) AS c(id uuid, status text)
     WHERE jobs.id = c.id AND jobs.status = 'scheduled' AND EXISTS (SELECT 1 FROM inst)
  )
  SELECT count(*)::int AS n FROM inst`;

const START_SQL = `
  WITH inst AS (
    INSERT INTO process_instances (id, status, tokens, variables, version, head_hash, ended_at,
                                   definition_id, key, business_key, started_at, started_by)
    VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $17, $18, $19, $8, $20)
    RETURNING id
  ),${WRITES}`;

const MOVE_SQL = `
  WITH inst AS (
    UPDATE process_instances SET status = $2, tokens = $3::jsonb, variables = $4::jsonb, version = $5,
                                 head_hash = $6, ended_at = $7
     WHERE id = $1 AND version = $17
    RETURNING id
  ),${WRITES}`;

function writeValues(
  instance: Pick<InstanceRow, 'id' | 'status' | 'tokens' | 'variables' | 'ended_at'>,
  w: Writes,
) {
  const head = w.events[w.events.length - 1];
  return [
    instance.id,
    instance.status,
    JSON.stringify(instance.tokens),
    JSON.stringify(instance.variables),
    head?.seq,
    head?.hash,
    instance.ended_at,
    w.at,
    JSON.stringify(
      w.taskUpdates.map((u) => ({
        id: u.id,
        status: u.status,
        completed_by: u.completedBy,
        assignee: u.assignee,
      })),
    ),
    JSON.stringify(
      w.newTasks.map((t) => ({
        id: t.id,
        token_id: t.tokenId,
        element_id: t.elementId,
        name: t.name,
        candidate_roles: t.candidateRoles,
        form_key: t.formKey,
        due_at: t.dueAt,
      })),
    ),
    JSON.stringify(
      w.incidents.map((i) => ({
        id: i.id,
        token_id: i.tokenId,
        element_id: i.elementId,
        message: i.message,
      })),
    ),
    w.resolvedBy,
    w.resolvedIncidents,
    JSON.stringify(
      w.events.map((e) => ({
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
    JSON.stringify(
      w.newJobs.map((j) => ({ id: j.id, token_id: j.tokenId, element_id: j.elementId, due_at: j.dueAt })),
    ),
    JSON.stringify(w.jobUpdates),
  ];
}

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

  async openTasks(db: Db, filter: { roles: string[]; instanceId?: string }): Promise<TaskRow[]> {
    const q = db<TaskRow>('tasks')
      .where({ status: 'open' })
      .where((w) =>
        w
          .whereRaw('cardinality(candidate_roles) = 0')
          .orWhereRaw('candidate_roles && ?::text[]', [filter.roles]),
      )
      .orderBy('created_at');
    if (filter.instanceId) q.where({ instance_id: filter.instanceId });
    return (await q) as TaskRow[];
  },

  async tasksOf(db: Db, instanceId: string): Promise<TaskRow[]> {
    return (await db<TaskRow>('tasks').where({ instance_id: instanceId }).orderBy('created_at')) as TaskRow[];
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
   * Takes the next due timer, locked for this transaction; other workers skip it rather than wait
   * (SKIP LOCKED), so any number of runtime processes share the work without doing it twice.
   */
  async lockDueJob(trx: Knex.Transaction, now: Date): Promise<JobRow | undefined> {
    const rows = await preparedQuery<JobRow>(
      trx,
      'attest_lock_due_job',
      `SELECT id, instance_id, token_id, element_id, attempts FROM jobs
        WHERE status = 'scheduled' AND due_at <= $1 ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [now],
    );
    return rows[0];
  },

  /** A failed attempt: tried again after `retryAt`, or given up for good. */
  async failJob(db: Db, id: string, error: string, retryAt: Date | null, now: Date): Promise<void> {
    await db('jobs')
      .where({ id })
      .increment('attempts', 1)
      .update(
        retryAt
          ? { last_error: error, due_at: retryAt }
          : { last_error: error, status: 'failed', done_at: now },
      );
  },

  async failedJobs(db: Db, instanceId?: string): Promise<(JobRow & { last_error: string; done_at: Date })[]> {
    const q = db('jobs').where({ status: 'failed' }).orderBy('done_at');
    if (instanceId) q.where({ instance_id: instanceId });
    return q.select('id', 'instance_id', 'token_id', 'element_id', 'attempts', 'last_error', 'done_at');
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

  /** Writes a new instance and everything its first move did, in one statement. */
  async start(db: Db, instance: InstanceRow, writes: Writes): Promise<void> {
    await preparedQuery(db, 'attest_start_instance', START_SQL, [
      ...writeValues(instance, writes),
      instance.definition_id,
      instance.key,
      instance.business_key,
      instance.started_by,
    ]);
  },

  /**
   * Writes one move of an instance read at `version`, in one statement; false when someone else
   * moved it first (then nothing was written).
   */
  async move(
    db: Db,
    instance: Pick<InstanceRow, 'id' | 'status' | 'tokens' | 'variables' | 'ended_at'>,
    version: number,
    writes: Writes,
  ): Promise<boolean> {
    try {
      const rows = await preparedQuery<{ n: number }>(db, 'attest_move_instance', MOVE_SQL, [
        ...writeValues(instance, writes),
        version,
      ]);
      return rows[0]?.n === 1;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  },
};
