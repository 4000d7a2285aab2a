import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChild } from 'preact';
import { useState } from 'preact/hooks';
import { download } from '../../api.ts';
import type { Me } from '../../app/me.ts';
import { formatInstant } from '../../time.ts';
import { Message, Notice, type NoticeState } from '../../ui/Message.tsx';
import { Table } from '../../ui/Table.tsx';
import { statusLabel } from '../records/status.ts';
import { AuditTrail } from './AuditTrail.tsx';
import {
  fieldText,
  loadDossier,
  provenanceText,
  severityLabel,
  STEP_KEYS,
  who,
  type Dossier,
  type DossierException,
  type DossierValue,
  type Signature,
} from './dossier.ts';
import { Exceptions } from './Exceptions.tsx';
import { ReopenActions, Reopenings } from './Reopening.tsx';

const RecordLink = (props: { record: { number: string } }) => (
  <a href={`#/record/${props.record.number}`}>{props.record.number}</a>
);

/**
 * The record as QA reviews it: header with template version, every step's values with provenance,
 * exceptions highlighted by severity, values changed after entry marked, signatures with their
 * manifestation, the audit trail (filterable, exportable) and the PDF printout. QA decides on
 * exceptions here; after each decision the record is read again and drawn in place.
 */
export function RecordPage(props: { me: Me; dossier: Dossier }) {
  const [dossier, setDossier] = useState(props.dossier);
  const { record } = dossier;
  const [printing, setPrinting] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const decided = (message: string): void => {
    loadDossier(record.id)
      .then((next) => {
        setDossier(next);
        setNotice({ kind: 'success', content: message });
      })
      .catch((error: unknown) =>
        setNotice({ kind: 'error', content: t('common.error', { detail: (error as Error).message }) }),
      );
  };
  const print = (): void => {
    setPrinting(true);
    setFailure(null);
    download(`/api/records/${record.id}/printout`)
      .catch((error: unknown) => setFailure(t('common.error', { detail: (error as Error).message })))
      .finally(() => setPrinting(false));
  };
  const facts: [MessageKey, ComponentChild][] = [
    [
      'records.template',
      record.template
        ? `${record.template.title} (${record.template.id}, ${t('common.version', { version: record.template.version })})`
        : '—',
    ],
    ['records.status', statusLabel(record.status)],
    ['records.owner', who(record.owner)],
    ['review.created', formatInstant(record.createdAt)],
    ['records.due', formatInstant(record.dueAt)],
  ];
  if (record.parent) facts.push(['review.parent', <RecordLink record={record.parent} />]);
  if (record.raisedFrom) facts.push(['review.raisedFrom', <RecordLink record={record.raisedFrom} />]);
  const signatures = new Map(dossier.signatures.map((s) => [s.id, s]));

  return (
    <>
      <div class="record-head">
        <h1>
          <span id="record-number">{record.number}</span>
          {` · ${record.title}`}
        </h1>
        <div class="actions">
          <ReopenActions me={props.me} record={record} reopenings={dossier.reopenings} done={decided} />
          <button type="button" id="record-pdf" class="primary" disabled={printing} onClick={print}>
            {t('review.pdf')}
          </button>
        </div>
      </div>
      <Message tone="error">{failure}</Message>
      <Notice id="record-notice" notice={notice} />
      <dl class="facts">
        {facts.map(([label, value]) => [
          <dt key={`${label}-t`}>{t(label)}</dt>,
          <dd key={`${label}-d`}>{value}</dd>,
        ])}
      </dl>
      {record.overdue ? <p class="message error">{t('tasks.overdue')}</p> : null}
      <OpenSteps tasks={record.openTasks} />
      {record.children.length > 0 ? (
        <section class="card">
          <h2>{t('review.children')}</h2>
          <ul class="plain">
            {record.children.map((c) => (
              <li key={c.id}>
                <RecordLink record={c} />
                {` · ${statusLabel(c.status)}`}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <Exceptions me={props.me} exceptions={dossier.exceptions} decided={decided} />
      <section id="record-steps">
        <h2>{t('review.steps')}</h2>
        {dossier.steps.map((step) => (
          <article
            key={step.taskId}
            class={`card step-record${step.exceptions.length > 0 ? ' has-exceptions' : ''}`}
            data-step={step.elementId}
          >
            <h3>{step.name}</h3>
            <p class="task-meta">
              <span>{t(STEP_KEYS[step.status] ?? 'review.stepOpen')}</span>
              {step.completedBy ? (
                <span>
                  {t('review.completedBy', {
                    who: who(step.completedBy),
                    at: formatInstant(step.completedAt),
                  })}
                </span>
              ) : null}
              {step.form ? (
                <span>{t('review.form', { key: step.form.key, version: step.form.version })}</span>
              ) : null}
            </p>
            {step.signatureIds
              .map((id) => signatures.get(id))
              .filter((s): s is Signature => s !== undefined)
              .map((s) => (
                <p key={s.id} class="manifestation">
                  {s.manifestation.text}
                  <BeforeReopening signature={s} />
                </p>
              ))}
            {step.values.length > 0 ? (
              <ValuesTable values={step.values} exceptions={step.exceptions} />
            ) : null}
          </article>
        ))}
      </section>
      <Reopenings list={dossier.reopenings} />
      <Signatures list={dossier.signatures} />
      <AuditTrail recordId={record.id} number={record.number} events={dossier.audit} />
    </>
  );
}

function OpenSteps({ tasks }: { tasks: Dossier['record']['openTasks'] }) {
  if (tasks.length === 0) return null;
  return (
    <section class="card" id="record-open">
      <h2>{t('review.openSteps')}</h2>
      <ul class="plain">
        {tasks.map((task) => (
          <li key={task.id}>
            <a href={`#/task/${task.id}`}>{task.name ?? task.elementId}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A step's values with their provenance, changes and verification; a value out of limits shows why. */
function ValuesTable(props: { values: DossierValue[]; exceptions: DossierException[] }) {
  const raised = new Map<string, DossierException>();
  for (const e of props.exceptions) if (e.pointer) raised.set(e.pointer, e);
  return (
    <Table
      class="values"
      cards={false}
      rows={props.values}
      rowKey={(v) => v.pointer}
      rowProps={(v) => {
        const exception = raised.get(v.pointer);
        const classes = [v.changedAfterEntry && 'changed', exception && `severity-${exception.severity}`]
          .filter(Boolean)
          .join(' ');
        return { class: classes || undefined, 'data-pointer': v.pointer };
      }}
      columns={[
        {
          heading: t('review.field'),
          cell: (v) => (
            <>
              {v.label}
              {v.critical ? <span class="badge">{t('review.critical')}</span> : null}
            </>
          ),
        },
        {
          heading: t('review.value'),
          cell: (v) => <ValueCell value={v} exception={raised.get(v.pointer)} />,
        },
        { heading: t('review.provenance'), cell: (v) => provenanceText(v) },
        {
          heading: t('review.entered'),
          cell: (v) => (
            <>
              {who(v.enteredBy)}
              <br />
              {formatInstant(v.enteredAt)}
            </>
          ),
        },
        {
          heading: t('review.verified'),
          cell: (v) => (v.verifiedBy ? [who(v.verifiedBy), formatInstant(v.verifiedAt)].join(' · ') : '—'),
        },
      ]}
    />
  );
}

function ValueCell({
  value: v,
  exception,
}: {
  value: DossierValue;
  exception: DossierException | undefined;
}) {
  return (
    <>
      {v.naReason !== null ? (
        t('review.na', { reason: v.naReason })
      ) : (
        <strong class="value">{fieldText(v, v.value, v.choice)}</strong>
      )}
      {exception ? (
        <div class="exception-note">
          <span class={`badge severity-${exception.severity}`}>{severityLabel(exception.severity)}</span>
          {` ${exception.message}`}
        </div>
      ) : null}
      {v.changedAfterEntry ? (
        <div class="changed-note">
          <span class="badge changed">{t('review.changed')}</span>
          {` ${t('review.changedDetail', {
            original: fieldText(v, v.originalValue, v.originalChoice),
            who: who(v.changedBy),
            at: formatInstant(v.changedAt),
            reason: v.changeReason ?? '—',
          })}`}
        </div>
      ) : null}
    </>
  );
}

/** The mark of a signature given before the record was reopened (D4). */
function BeforeReopening({ signature }: { signature: Signature }) {
  if (!signature.precedesReopening) return null;
  return (
    <span class="badge reopened" data-before-reopening={signature.precedesReopening.reopeningId}>
      {t('review.beforeReopening', { at: formatInstant(signature.precedesReopening.at) })}
    </span>
  );
}

function Signatures({ list }: { list: Signature[] }) {
  return (
    <section id="record-signatures">
      <h2>{t('review.signatures')}</h2>
      {list.length === 0 ? (
        <p class="empty">{t('review.noSignatures')}</p>
      ) : (
        <ul class="signatures">
          {list.map((s) => (
            <li key={s.id} class={s.withdrawn ? 'withdrawn' : undefined} data-meaning={s.meaning}>
              <strong class="manifestation">{s.manifestation.text}</strong>
              {s.reason ? <span>{t('review.reason', { reason: s.reason })}</span> : null}
              {s.contentChanged ? <span class="badge danger">{t('review.contentChanged')}</span> : null}
              <BeforeReopening signature={s} />
              {s.withdrawn ? (
                <span class="badge danger">
                  {t('review.withdrawn', { at: formatInstant(s.withdrawn.at), reason: s.withdrawn.reason })}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
