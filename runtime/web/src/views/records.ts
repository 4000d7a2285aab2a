import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { request } from '../api.ts';
import { formatInstant } from '../time.ts';

interface RecordSummary {
  id: string;
  number: string;
  title: string;
  status: string;
  template: { id: string; version: string; title: string } | null;
  owner: { printedName: string } | null;
  dueAt: string | null;
  overdue: boolean;
}

const STATUS_KEYS: Record<string, MessageKey> = {
  open: 'status.open',
  closed: 'status.closed',
  cancelled: 'status.cancelled',
  voided: 'status.voided',
};
/** A status in words; a stage a process names (e.g. investigation) is shown as it is. */
export const statusLabel = (status: string) => (STATUS_KEYS[status] ? t(STATUS_KEYS[status]) : status);

/** Records, newest first, searched by number or title, filtered by status and overdue. */
export async function recordsView(container: HTMLElement): Promise<void> {
  const search = h('input', { type: 'search', id: 'record-search', placeholder: t('records.search') });
  const status = h(
    'select',
    { id: 'record-status', 'aria-label': t('records.status') },
    h('option', { value: '' }, t('records.any')),
    ...Object.keys(STATUS_KEYS).map((s) => h('option', { value: s }, statusLabel(s))),
  );
  const overdue = h('input', { type: 'checkbox', id: 'record-overdue' });
  const results = h('div', { id: 'record-results' });
  const load = async () => {
    const query = new URLSearchParams({ limit: '100' });
    if (search.value.trim()) query.set('q', search.value.trim());
    if (status.value) query.set('status', status.value);
    if (overdue.checked) query.set('overdue', 'true');
    const { records, total } = await request<{ records: RecordSummary[]; total: number }>(
      'GET',
      `/api/records?${query}`,
    );
    show(
      results,
      h('p', { class: 'count' }, t('records.count', { count: total })),
      records.length === 0
        ? h('p', { class: 'empty' }, t('records.empty'))
        : h(
            'table',
            { class: 'records' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...(
                  [
                    'records.number',
                    'records.recordTitle',
                    'records.template',
                    'records.status',
                    'records.owner',
                    'records.due',
                  ] as const
                ).map((k) => h('th', {}, t(k))),
              ),
            ),
            h(
              'tbody',
              {},
              ...records.map((r) =>
                h(
                  'tr',
                  { class: r.overdue ? 'overdue' : undefined },
                  h('td', {}, h('a', { href: `#/record/${r.number}` }, r.number)),
                  h('td', {}, r.title),
                  h(
                    'td',
                    {},
                    r.template
                      ? `${r.template.title} (${t('common.version', { version: r.template.version })})`
                      : '—',
                  ),
                  h('td', {}, statusLabel(r.status)),
                  h('td', {}, r.owner?.printedName ?? '—'),
                  h('td', {}, formatInstant(r.dueAt)),
                ),
              ),
            ),
          ),
    );
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 250);
  });
  status.addEventListener('change', () => void load());
  overdue.addEventListener('change', () => void load());
  show(
    container,
    h('h1', {}, t('records.title')),
    h(
      'div',
      { class: 'filters' },
      search,
      status,
      h('label', { class: 'check' }, overdue, t('records.overdueOnly')),
    ),
    results,
  );
  await load();
}
