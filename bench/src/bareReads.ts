import express from 'express';
import pg from 'pg';

/**
 * The bare route the HTTP benchmark compares Attest's reads with: the same reads of the same
 * database as plain SQL through `pg` behind Express, with nothing around them (no authentication,
 * no permissions, no validation, no logging, no caching). Started as a process of its own, like the
 * runtime, with the database URL as its argument; prints `listening <port>` when it listens.
 */

const url = process.argv[2];
if (!url) throw new Error('usage: bareReads.ts <database url>');
// As many connections as a runtime's pool (openDatabase's default).
const pool = new pg.Pool({ connectionString: url, max: 10 });

const TASK_WITH_RECORD = `SELECT tasks.*, records.id AS record_id, records.number AS record_number,
    records.title AS record_title
  FROM tasks LEFT JOIN records ON records.instance_id = tasks.instance_id`;

const app = express();

/** Open tasks of a person's roles, oldest first: Attest's `GET /api/tasks`. */
app.get('/tasks', async (req, res) => {
  const roles = String(req.query.roles ?? '').split(',');
  const { rows } = await pool.query(
    `${TASK_WITH_RECORD}
      WHERE tasks.status = 'open'
        AND (candidate_user = $1
             OR (candidate_user IS NULL AND (cardinality(candidate_roles) = 0 OR candidate_roles && $2::text[])))
      ORDER BY tasks.created_at`,
    [String(req.query.username ?? ''), roles],
  );
  res.json({ tasks: rows });
});

/** One task with its record and instance: Attest's `GET /api/tasks/{id}`. */
app.get('/tasks/:id', async (req, res) => {
  const { rows } = await pool.query(`${TASK_WITH_RECORD} WHERE tasks.id = $1`, [req.params.id]);
  if (!rows[0]) {
    res.status(404).end();
    return;
  }
  const instance = await pool.query(
    'SELECT id, definition_id, version FROM process_instances WHERE id = $1',
    [rows[0].instance_id],
  );
  res.json({ ...rows[0], instance: instance.rows[0] });
});

/** A task's form with its values and exceptions: Attest's `GET /api/tasks/{id}/form`. */
app.get('/tasks/:id/form', async (req, res) => {
  const task = await pool.query('SELECT id, status, form_key, instance_id FROM tasks WHERE id = $1', [
    req.params.id,
  ]);
  if (!task.rows[0]) {
    res.status(404).end();
    return;
  }
  const [form, instance, values, exceptions] = await Promise.all([
    pool.query(
      'SELECT id, key, version, title, definition FROM forms WHERE key = $1 ORDER BY version DESC LIMIT 1',
      [task.rows[0].form_key],
    ),
    pool.query('SELECT variables FROM process_instances WHERE id = $1', [task.rows[0].instance_id]),
    pool.query('SELECT * FROM form_values WHERE task_id = $1', [req.params.id]),
    pool.query('SELECT * FROM exceptions WHERE task_id = $1', [req.params.id]),
  ]);
  res.json({
    taskId: req.params.id,
    status: task.rows[0].status,
    form: form.rows[0],
    data: instance.rows[0]?.variables ?? {},
    values: values.rows,
    exceptions: exceptions.rows,
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
});
