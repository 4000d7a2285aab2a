import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { download } from '../../api.ts';
import { formatInstant } from '../../time.ts';
import { Message } from '../../ui/Message.tsx';
import { Table } from '../../ui/Table.tsx';
import type { AuditEvent } from './dossier.ts';

/** A day picked is a day where the browser is; the bounds go to the server as instants. */
function bounds(from: string, to: string) {
  return {
    start: from ? new Date(`${from}T00:00:00`).toISOString() : '',
    end: to ? new Date(new Date(`${to}T00:00:00`).getTime() + 86_400_000).toISOString() : '',
  };
}

/** The audit trail of the record, narrowed by who, what and when; exported as the server writes it. */
export function AuditTrail(props: { recordId: string; number: string; events: AuditEvent[] }) {
  const { events } = props;
  const [actor, setActor] = useState('');
  const [type, setType] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const actors = [...new Map(events.map((e) => [e.actorId ?? '', e.actorName])).entries()];
  const types = [...new Set(events.map((e) => e.type))].sort();
  const { start, end } = bounds(from, to);
  const shown = events.filter(
    (e) =>
      (!actor || (e.actorId ?? '') === actor) &&
      (!type || e.type === type) &&
      (!start || e.at >= start) &&
      (!end || e.at < end),
  );

  const exportAs = (format: 'csv' | 'json'): void => {
    setFailure(null);
    const query = new URLSearchParams({ format });
    if (actor) query.set('actor', actor);
    if (start) query.set('from', start);
    if (end) query.set('to', end);
    download(`/api/records/${props.recordId}/audit?${query}`, `${props.number}-audit-trail.${format}`).catch(
      (error: unknown) => setFailure(t('common.error', { detail: (error as Error).message })),
    );
  };

  return (
    <section id="record-audit">
      <h2>{t('review.audit')}</h2>
      <div class="filters audit-filters">
        <select
          id="audit-actor"
          aria-label={t('review.auditWho')}
          value={actor}
          onChange={(event) => setActor(event.currentTarget.value)}
        >
          <option value="">{t('review.auditAnyone')}</option>
          {actors.map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
        <select
          id="audit-type"
          aria-label={t('review.auditWhat')}
          value={type}
          onChange={(event) => setType(event.currentTarget.value)}
        >
          <option value="">{t('review.auditAnything')}</option>
          {types.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
        <input
          type="date"
          id="audit-from"
          aria-label={t('review.auditFrom')}
          value={from}
          onChange={(event) => setFrom(event.currentTarget.value)}
        />
        <input
          type="date"
          id="audit-to"
          aria-label={t('review.auditTo')}
          value={to}
          onChange={(event) => setTo(event.currentTarget.value)}
        />
        <button type="button" id="audit-csv" onClick={() => exportAs('csv')}>
          {t('review.exportCsv')}
        </button>
        <button type="button" id="audit-json" onClick={() => exportAs('json')}>
          {t('review.exportJson')}
        </button>
      </div>
      <Message tone="error">{failure}</Message>
      <p class="count" id="audit-count">
        {t('review.auditCount', { shown: shown.length, total: events.length })}
      </p>
      <Table
        class="audit"
        cards={false}
        rows={shown}
        rowKey={(e) => e.seq}
        columns={[
          { heading: t('review.auditAt'), cell: (e) => formatInstant(e.at) },
          { heading: t('review.auditWho'), cell: (e) => e.actorName },
          { heading: t('review.auditWhat'), cell: (e) => <code>{e.type}</code> },
          { heading: t('review.auditDetails'), class: 'details', cell: (e) => summary(e.payload) },
          { heading: t('sign.reason'), cell: (e) => e.reason ?? '' },
        ]}
      />
    </section>
  );
}

/** An event's payload in one line: its fields and values, long ones cut. */
export function summary(payload: Record<string, unknown>): string {
  return Object.entries(payload)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
    })
    .join('; ');
}
