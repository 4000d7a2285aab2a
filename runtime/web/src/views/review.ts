import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { request } from '../api.ts';
import { formatInstant } from '../time.ts';
import { statusLabel } from './records.ts';

interface ReviewItem {
  task: { id: string; name: string | null; elementId: string; createdAt: string; dueAt: string | null };
  meaning: 'Reviewed' | 'Approved' | 'Released';
  rejectable: boolean;
  record: { id: string; number: string; title: string; status: string; overdue: boolean } | null;
  exceptions: { total: number; high: number; medium: number; low: number; blocking: number };
  changedValues: number;
}

const MEANINGS: Record<ReviewItem['meaning'], MessageKey> = {
  Reviewed: 'meaning.reviewed',
  Approved: 'meaning.approved',
  Released: 'meaning.released',
};

/**
 * The review queue: steps waiting for this person to review, approve or release, records with
 * high exceptions first. A row opens the record as QA reads it; the step is one tap further.
 */
export async function reviewView(container: HTMLElement): Promise<void> {
  const { items } = await request<{ items: ReviewItem[] }>('GET', '/api/review-queue');
  const badges = (item: ReviewItem) => {
    const { high, medium, low } = item.exceptions;
    const shown = [
      high > 0 && h('span', { class: 'badge severity-high' }, t('review.high', { count: high })),
      medium > 0 && h('span', { class: 'badge severity-medium' }, t('review.medium', { count: medium })),
      low > 0 && h('span', { class: 'badge severity-low' }, t('review.low', { count: low })),
      item.changedValues > 0 &&
        h('span', { class: 'badge changed' }, t('review.changedCount', { count: item.changedValues })),
    ].filter((b): b is HTMLSpanElement => Boolean(b));
    return shown.length > 0 ? shown : [h('span', { class: 'badge ok' }, t('review.clean'))];
  };
  show(
    container,
    h('h1', {}, t('review.queue')),
    h('p', { class: 'hint' }, t('review.queueHint')),
    items.length === 0
      ? h('p', { class: 'empty' }, t('review.queueEmpty'))
      : h(
          'ul',
          { class: 'tasks review-queue' },
          ...items.map((item) =>
            h(
              'li',
              {
                class: item.exceptions.high > 0 || item.record?.overdue ? 'task overdue' : 'task',
                'data-task': item.task.id,
              },
              h(
                'a',
                {
                  class: 'task-main',
                  href: item.record ? `#/record/${item.record.number}` : `#/task/${item.task.id}`,
                },
                h(
                  'strong',
                  {},
                  item.record ? `${item.record.number} · ${item.record.title}` : item.task.elementId,
                ),
                h(
                  'span',
                  { class: 'record' },
                  `${item.task.name ?? item.task.elementId} · ${t(MEANINGS[item.meaning])}`,
                  item.record ? ` · ${statusLabel(item.record.status)}` : '',
                ),
              ),
              h('div', { class: 'task-meta' }, ...badges(item)),
              h(
                'div',
                { class: 'task-meta' },
                h('span', {}, `${t('tasks.due')}: ${formatInstant(item.task.dueAt)}`),
                h('a', { class: 'button', href: `#/task/${item.task.id}` }, t('review.openStep')),
              ),
            ),
          ),
        ),
  );
}
