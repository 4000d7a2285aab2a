import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { api, type Schemas } from '../../api/client.ts';
import { useLiveEvents, useSerialReload } from '../../app/hooks.ts';
import { formatInstant } from '../../time.ts';
import type { Me } from '../../app/me.ts';

export type Task = Schemas['Task'];

export async function loadTasks(): Promise<Task[]> {
  return (await api.get('/api/tasks')).tasks;
}

/**
 * The operator's list: every open step this person may do, oldest first, overdue ones marked; a
 * step opens it. It updates in place when tasks change anywhere (server-sent events), keeping focus
 * and scroll position.
 */
export function TasksPage(props: { me: Me; initial: Task[]; notice: string | null }) {
  const [tasks, setTasks] = useState(props.initial);
  const reload = useSerialReload(async () => setTasks(await loadTasks()));
  useLiveEvents('/api/task-events', (event) => {
    if (event === 'tasks') reload();
  });
  const now = Date.now();
  return (
    <>
      <h1>{t('tasks.title')}</h1>
      {props.notice ? (
        <p class="message success" role="status" id="notice">
          {props.notice}
        </p>
      ) : null}
      {tasks.length > 0 ? (
        <ul class="tasks">
          {tasks.map((task) => (
            <TaskRow key={task.id} task={task} me={props.me} now={now} claimed={reload} />
          ))}
        </ul>
      ) : (
        <p class="empty">{t('tasks.empty')}</p>
      )}
    </>
  );
}

function TaskRow(props: { task: Task; me: Me; now: number; claimed: () => void }) {
  const { task } = props;
  const [claiming, setClaiming] = useState(false);
  const overdue = task.dueAt !== null && new Date(task.dueAt).getTime() < props.now;
  const who =
    task.candidateUser ??
    (task.candidateRoles.length > 0 ? task.candidateRoles.join(', ') : t('tasks.anyone'));
  const claim = (): void => {
    setClaiming(true);
    api
      .post('/api/tasks/{id}/claim', { path: { id: task.id } })
      .then(props.claimed)
      .catch((error: unknown) => {
        setClaiming(false);
        reportError(error);
      });
  };
  return (
    <li class={overdue ? 'task overdue' : 'task'} data-task={task.id}>
      <a class="task-main" href={`#/task/${task.id}`}>
        <strong>{task.name ?? task.elementId}</strong>
        {task.record ? <span class="record">{`${task.record.number} · ${task.record.title}`}</span> : null}
      </a>
      <div class="task-meta">
        <span>{`${t('tasks.for')}: ${who}`}</span>
        <span>{`${t('tasks.due')}: ${formatInstant(task.dueAt)}`}</span>
        {overdue ? <span class="badge danger">{t('tasks.overdue')}</span> : null}
      </div>
      {task.assignee === props.me.user.id ? (
        <span class="badge">{t('tasks.claimed')}</span>
      ) : (
        <button type="button" class="claim" disabled={claiming} onClick={claim}>
          {t('tasks.claim')}
        </button>
      )}
    </li>
  );
}
