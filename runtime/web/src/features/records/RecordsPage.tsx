import { t } from '@attest/task-form/i18n';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Answered } from '../../api/client.ts';
import { useSerialReload } from '../../app/hooks.ts';
import { formatInstant } from '../../time.ts';
import { Table } from '../../ui/Table.tsx';
import { STATUSES, statusLabel } from './status.ts';

/** A page of records, newest first, and how many match in all. */
export type RecordList = Answered<'get', '/api/records'>;

interface Filter {
  q: string;
  status: string;
  overdue: boolean;
}

export async function loadRecords(
  filter: Filter = { q: '', status: '', overdue: false },
): Promise<RecordList> {
  return api.get('/api/records', {
    query: {
      limit: '100',
      q: filter.q || undefined,
      status: filter.status || undefined,
      overdue: filter.overdue ? 'true' : undefined,
    },
  });
}

/** Records, newest first, searched by number or title, filtered by status and overdue. */
export function RecordsPage(props: { initial: RecordList }) {
  const [list, setList] = useState(props.initial);
  const [search, setSearch] = useState('');
  // The search asked of the server: what was typed, once typing paused.
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const [overdue, setOverdue] = useState(false);
  const reload = useSerialReload(async () => setList(await loadRecords({ q, status, overdue })));

  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  // The first list came with the page; each change of the filter asks again.
  const shown = useRef(false);
  useEffect(() => {
    if (shown.current) reload();
    shown.current = true;
  }, [q, status, overdue]);

  const { records, total } = list;
  return (
    <>
      <h1>{t('records.title')}</h1>
      <div class="filters">
        <input
          type="search"
          id="record-search"
          placeholder={t('records.search')}
          value={search}
          onInput={(event) => setSearch(event.currentTarget.value)}
        />
        <select
          id="record-status"
          aria-label={t('records.status')}
          value={status}
          onChange={(event) => setStatus(event.currentTarget.value)}
        >
          <option value="">{t('records.any')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
        <label class="check">
          <input
            type="checkbox"
            id="record-overdue"
            checked={overdue}
            onChange={(event) => setOverdue(event.currentTarget.checked)}
          />
          {t('records.overdueOnly')}
        </label>
      </div>
      <div id="record-results">
        <p class="count">{t('records.count', { count: total })}</p>
        {records.length === 0 ? (
          <p class="empty">{t('records.empty')}</p>
        ) : (
          <Table
            cards={false}
            rows={records}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ class: r.overdue ? 'overdue' : undefined })}
            columns={[
              { heading: t('records.number'), cell: (r) => <a href={`#/record/${r.number}`}>{r.number}</a> },
              { heading: t('records.recordTitle'), cell: (r) => r.title },
              {
                heading: t('records.template'),
                cell: (r) =>
                  r.template
                    ? `${r.template.title} (${t('common.version', { version: r.template.version })})`
                    : '—',
              },
              { heading: t('records.status'), cell: (r) => statusLabel(r.status) },
              { heading: t('records.owner'), cell: (r) => r.owner?.printedName ?? '—' },
              { heading: t('records.due'), cell: (r) => formatInstant(r.dueAt) },
            ]}
          />
        )}
      </div>
    </>
  );
}
