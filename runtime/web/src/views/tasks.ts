import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { request } from '../api.ts';
import { listen } from '../live.ts';
import { takeNotice } from '../notice.ts';
import { formatInstant } from '../time.ts';
import type { Me } from './shell.ts';
import { onAsync } from '../events.ts';

interface Task {
  id: string;
  name: string | null;
  elementId: string;
  candidateRoles: string[];
  candidateUser: string | null;
  assignee: string | null;
  dueAt: string | null;
  record: { id: string; number: string; title: string } | null;
}

/** The live stream of the list on screen; it stops when the page changes. */
let live: AbortController | null = null;
addEventListener('hashchange', () => {
  live?.abort();
  live = null;
});

/**
 * The operator's list: every open step this person may do, oldest first, overdue ones marked; a
 * step opens it. It updates itself when tasks change anywhere (server-sent events).
 */
export async function tasksView(container: HTMLElement, me: Me, notice = takeNotice()): Promise<void> {
  live?.abort();
  const controller = new AbortController();
  live = controller;
  let reloading = false;
  listen(
    '/api/task-events',
    (event) => {
      if (event !== 'tasks' || reloading || !container.isConnected) return;
      reloading = true;
      void drawTasks(container, me, notice).finally(() => (reloading = false));
    },
    controller.signal,
  );
  await drawTasks(container, me, notice);
}

async function drawTasks(container: HTMLElement, me: Me, notice: string | null): Promise<void> {
  const { tasks } = await request<{ tasks: Task[] }>('GET', '/api/tasks');
  const now = Date.now();
  const rows = tasks.map((task) => {
    const overdue = task.dueAt !== null && new Date(task.dueAt).getTime() < now;
    const claim = h('button', { type: 'button', class: 'claim' }, t('tasks.claim'));
    onAsync(claim, 'click', async () => {
      claim.disabled = true;
      await request('POST', `/api/tasks/${task.id}/claim`);
      await drawTasks(container, me, notice);
    });
    const who =
      task.candidateUser ??
      (task.candidateRoles.length > 0 ? task.candidateRoles.join(', ') : t('tasks.anyone'));
    return h(
      'li',
      { class: overdue ? 'task overdue' : 'task', 'data-task': task.id },
      h(
        'a',
        { class: 'task-main', href: `#/task/${task.id}` },
        h('strong', {}, task.name ?? task.elementId),
        task.record ? h('span', { class: 'record' }, `${task.record.number} · ${task.record.title}`) : null,
      ),
      h(
        'div',
        { class: 'task-meta' },
        h('span', {}, `${t('tasks.for')}: ${who}`),
        h('span', {}, `${t('tasks.due')}: ${formatInstant(task.dueAt)}`),
        overdue ? h('span', { class: 'badge danger' }, t('tasks.overdue')) : null,
      ),
      task.assignee === me.user.id ? h('span', { class: 'badge' }, t('tasks.claimed')) : claim,
    );
  });
  show(
    container,
    h('h1', {}, t('tasks.title')),
    ...(notice ? [h('p', { class: 'message success', role: 'status', id: 'notice' }, notice)] : []),
    rows.length > 0 ? h('ul', { class: 'tasks' }, ...rows) : h('p', { class: 'empty' }, t('tasks.empty')),
  );
}
