import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChild } from 'preact';
import { useState } from 'preact/hooks';
import { download } from '../../api.ts';
import type { Me } from '../../app/me.ts';
import { formatInstant } from '../../time.ts';
import { Message, Notice, type NoticeState } from '../../ui/Message.tsx';
import { useDialog } from '../../ui/ModalForm.tsx';
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
import { ChangeDialog, ChangeNote, mayChange, stepChanges } from './RunTimeChanges.tsx';

type Step = Dossier['steps'][number];
type Kind = ReturnType<typeof stepChanges>[number];

const CHANGE_BUTTONS: Record<Kind, MessageKey> = {
  skip: 'change.skip',
  repeat: 'change.repeat',
  add: 'change.add',
};
const ORIGIN_KEYS: Partial<Record<Step['origin'], MessageKey>> = {
  repeat: 'review.origin.repeat',
  added: 'review.origin.added',
};

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
  const [dialog, openDialog] = useDialog();
  const changing = mayChange(props.me, dossier);
  const change = (kind: Kind, step: Step | null): void => {
    let message = '';
    openDialog((close) => (
      <ChangeDialog
        me={props.me}
        dossier={dossier}
        kind={kind}
        step={step}
        done={(text) => (message = text)}
        onClose={close}
      />
    ))
      .then((done) => {
        if (done) decided(message);
      })
      .catch(reportError);
  };

  return (
    <>
      <div class="record-head">
        <h1>
          <span id="record-number">{record.number}</span>
          {` · ${record.title}`}
        </h1>
        <div class="actions">
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
        <div class="section-head">
          <h2>{t('review.steps')}</h2>
          {changing ? (
            <button type="button" id="change-add" onClick={() => change('add', null)}>
              {t(CHANGE_BUTTONS.add)}
            </button>
          ) : null}
        </div>
        {dossier.steps.map((step) => (
          <article
            key={step.taskId}
            class={`card step-record${step.exceptions.length > 0 ? ' has-exceptions' : ''}`}
            data-step={step.elementId}
            data-task={step.taskId}
            data-status={step.status}
          >
            <h3>
              {step.name}
              {ORIGIN_KEYS[step.origin] ? (
                <span class="badge origin">{t(ORIGIN_KEYS[step.origin]!)}</span>
              ) : null}
            </h3>
            <p class="task-meta">
              <span>{t(STEP_KEYS[step.status] ?? 'review.stepOpen')}</span>
              {step.completedBy && step.status !== 'skipped' ? (
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
            <ChangeNote step={step} />
            {changing && stepChanges(step).length > 0 ? (
              <div class="actions changes">
                {stepChanges(step).map((kind) => (
                  <button key={kind} type="button" data-change-kind={kind} onClick={() => change(kind, step)}>
                    {t(CHANGE_BUTTONS[kind])}
                  </button>
                ))}
              </div>
            ) : null}
            {step.signatureIds
              .map((id) => signatures.get(id))
              .filter((s): s is Signature => s !== undefined)
              .map((s) => (
                <p key={s.id} class="manifestation">
                  {s.manifestation.text}
                </p>
              ))}
            {step.values.length > 0 ? (
              <ValuesTable values={step.values} exceptions={step.exceptions} />
            ) : null}
          </article>
        ))}
      </section>
      {dialog}
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

function Signatures({ list }: { list: Signature[] }) {
  return (
    <section id="record-signatures">
      <h2>{t('review.signatures')}</h2>
      {list.length === 0 ? (
        <p class="empty">{t('review.noSignatures')}</p>
      ) : (
        <ul class="signatures">
          {list.map((s) => (
            <li key={s.id} class={s.withdrawn ? 'withdrawn' : undefined}>
              <strong class="manifestation">{s.manifestation.text}</strong>
              {s.reason ? <span>{t('review.reason', { reason: s.reason })}</span> : null}
              {s.contentChanged ? <span class="badge danger">{t('review.contentChanged')}</span> : null}
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
