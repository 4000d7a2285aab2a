import type { Knex } from 'knex';
import { sha256Hex } from '../../kernel/canonicalJson.ts';
import { instanceStateDigest, jsonDigest, type InstanceStateDigest } from '../../audit/stateDigest.ts';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/** Deployed definitions against their deployment event: the XML and the compiled graph by their digests. */
export async function checkDefinitions(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['definition'], null, 'process_definitions');
  for (const row of await knex('process_definitions').select('*').orderBy('id')) {
    const deployed = (chains.get(row.id) ?? []).find((e) => e.type === 'definition.deployed');
    if (!deployed) {
      findings.differs(
        'process_definitions',
        row.id,
        `${row.key} ${row.version} has no definition.deployed event`,
      );
      continue;
    }
    const p = deployed.payload;
    const column = firstDifference([
      ['key', row.key, p.key],
      ['version', row.version, p.version],
      ['content_hash', row.content_hash, p.contentHash],
      ['deployed_by', row.deployed_by, deployed.actorId],
      ['xml', sha256Hex(row.xml), p.xmlHash],
      ['graph', jsonDigest(row.graph), p.graphHash],
    ]);
    if (column) {
      findings.differs(
        'process_definitions',
        row.id,
        `${row.key} ${row.version}: ${column} differs from its deployment event`,
      );
    } else if (p.graphHash === undefined) {
      findings.unattested(
        'process_definitions',
        row.id,
        `${row.key} ${row.version}: the XML and graph predate their digests in the trail`,
      );
    }
  }
}

/**
 * Process instances against the state digest the last move wrote into their chain (definition,
 * status, tokens, scopes, variables), and their start against `process.started`.
 */
export async function checkInstances(knex: Knex, findings: Findings): Promise<void> {
  const { rows: digests } = await knex.raw<{
    rows: { record_id: string; state: InstanceStateDigest | string }[];
  }>(
    `SELECT DISTINCT ON (record_id) record_id, payload->'state' AS state FROM events
      WHERE record_type = 'instance' AND payload->>'state' IS NOT NULL
        AND record_id = ANY(?::uuid[]) ORDER BY record_id, seq DESC`,
    [(await knex('process_instances').pluck('id')) as string[]],
  );
  const stateOf = new Map(digests.map((d) => [d.record_id, d.state]));
  const starts = await chainsOf(
    knex,
    ['instance'],
    (q) => q.where('type', 'process.started'),
    'process_instances',
  );
  for (const row of await knex('process_instances').select('*').orderBy('id')) {
    const started = starts.get(row.id)?.[0];
    if (!started) {
      findings.differs('process_instances', row.id, `${row.key} has no process.started event`);
      continue;
    }
    const startColumn = firstDifference([
      ['key', row.key, started.payload.key],
      ['business_key', row.business_key, started.payload.businessKey ?? null],
      ['started_by', row.started_by, started.payload.startedBy],
    ]);
    if (startColumn) {
      findings.differs(
        'process_instances',
        row.id,
        `${row.key}: ${startColumn} differs from process.started`,
      );
      continue;
    }
    const attested = stateOf.get(row.id);
    if (attested === undefined) {
      findings.unattested(
        'process_instances',
        row.id,
        `${row.key}: its state predates the digests in its trail`,
      );
      continue;
    }
    const actual = instanceStateDigest({
      definitionId: row.definition_id,
      status: row.status,
      tokens: row.tokens,
      scopes: row.scopes,
      variables: row.variables,
    });
    const stated = typeof attested === 'object' && attested !== null ? attested : null;
    const column = stated
      ? firstDifference([
          ['definition_id', actual.definitionId, stated.definitionId ?? null],
          ['status', actual.status, stated.status ?? null],
          ['tokens', actual.tokens, stated.tokens ?? null],
          ['scopes', actual.scopes, stated.scopes ?? null],
          ['variables', actual.variables, stated.variables ?? null],
        ])
      : 'state';
    if (column) {
      findings.differs(
        'process_instances',
        row.id,
        `${row.key}: ${column} differs from the state its last move attested`,
      );
    }
  }
}

interface ReplayedTask {
  instance_id: string;
  element_id: unknown;
  status: string;
  candidate_roles: unknown;
  candidate_user: unknown;
  form_key: unknown;
  due_at: unknown;
  origin: unknown;
  form_id: unknown;
  assignee: string | null;
  completed_by: string | null;
  completed_at: string | null;
  /** For the flow's task at a step done ahead: that step (F1). */
  done_ahead?: string | null;
}

/**
 * User tasks against the events of their instance: created (by the flow, or repeated or added by a
 * run-time change), claimed, completed, skipped or cancelled, by whom and when.
 */
export async function checkTasks(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(
    knex,
    ['instance'],
    (q) =>
      q
        .whereIn('type', ['task.created', 'task.claimed', 'task.completed', 'task.skipped'])
        .orWhereRaw(`payload->'cancelledTasks' IS NOT NULL`),
    { table: 'tasks', column: 'instance_id' },
  );
  const tasks = new Map<string, ReplayedTask>();
  for (const events of chains.values()) {
    for (const e of events) {
      if (e.recordType !== 'instance') continue;
      const taskId = e.payload.taskId as string;
      const task = tasks.get(taskId);
      if (e.type === 'task.created') {
        tasks.set(taskId, {
          instance_id: e.recordId,
          element_id: e.payload.elementId,
          status: 'open',
          candidate_roles: e.payload.candidateRoles,
          candidate_user: e.payload.assignee ?? null,
          form_key: e.payload.formKey,
          due_at: e.payload.dueAt,
          origin: e.payload.origin ?? 'flow',
          form_id: e.payload.formId ?? null,
          assignee: null,
          completed_by: null,
          completed_at: null,
        });
      } else if (e.type === 'task.claimed' && task) {
        task.assignee = e.actorId;
      } else if (e.type === 'task.completed' && task) {
        // The flow's task at a step done ahead is completed by whoever did that step (F1).
        const ahead = e.payload.doneAhead as { taskId: string; by: string } | undefined;
        Object.assign(task, {
          status: 'completed',
          completed_by: ahead?.by ?? e.actorId,
          completed_at: e.at,
          done_ahead: ahead?.taskId ?? null,
        });
      } else if (e.type === 'task.skipped' && task) {
        Object.assign(task, { status: 'skipped', completed_by: e.actorId, completed_at: e.at });
      }
      for (const id of (e.payload.cancelledTasks as string[] | undefined) ?? []) {
        const cancelled = tasks.get(id);
        // A task completed in the same move stays completed, as the write guarded by `open` does.
        if (cancelled?.status === 'open')
          Object.assign(cancelled, { status: 'cancelled', completed_by: null, completed_at: e.at });
      }
    }
  }
  for (const row of await knex('tasks').select('*').orderBy('id')) {
    const task = tasks.get(row.id);
    if (!task) {
      findings.differs('tasks', row.id, `${row.element_id} has no task.created event`);
      continue;
    }
    // Moves before the digests did not name the tasks they cancelled; a task created since names its form.
    if (row.status === 'cancelled' && task.status === 'open' && task.form_key === undefined) {
      findings.unattested(
        'tasks',
        row.id,
        `${row.element_id}: its cancellation predates the digests in the trail`,
      );
      continue;
    }
    const column = firstDifference([
      ['instance_id', row.instance_id, task.instance_id],
      ['status', row.status, task.status],
      ['assignee', row.assignee, task.assignee],
      ['completed_by', row.completed_by, task.completed_by],
      ['completed_at', iso(row.completed_at), task.completed_at],
      ['candidate_roles', row.candidate_roles, task.candidate_roles],
      ['candidate_user', row.candidate_user, task.candidate_user],
      ['form_key', row.form_key, task.form_key],
      ['due_at', iso(row.due_at), task.due_at],
      ['origin', row.origin, task.origin],
      ['form_id', row.form_id, task.form_id],
      ['done_ahead', row.done_ahead ?? null, task.done_ahead ?? null],
    ]);
    if (column)
      findings.differs('tasks', row.id, `${row.element_id}: ${column} differs from its audit trail`);
  }
}
