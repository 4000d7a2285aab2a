import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChild } from 'preact';
import { useState } from 'preact/hooks';
import { download } from '../../api.ts';
import type { Me } from '../../app/me.ts';
import { formatInstant } from '../../time.ts';
import { Message, Notice, type NoticeState } from '../../ui/Message.tsx';
import { useDialog } from '../../ui/ModalForm.tsx';
import { statusLabel } from '../records/status.ts';
import { AuditTrail } from './AuditTrail.tsx';
import { loadDossier, who, type Dossier } from './dossier.ts';
import { Exceptions } from './Exceptions.tsx';
import { ChangeDialog, mayChange, mayDoAhead, stepChanges, type StepAhead } from './RunTimeChanges.tsx';
import { ReopenActions, Reopenings } from './Reopening.tsx';
import { RecordSteps, Signatures } from './RecordParts.tsx';

type Step = Dossier['steps'][number];
type Kind = ReturnType<typeof stepChanges>[number];

const CHANGE_BUTTONS: Record<Kind, MessageKey> = {
  skip: 'change.skip',
  repeat: 'change.repeat',
  add: 'change.add',
  outOfOrder: 'change.ahead',
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
    ...recipe(record.variables),
    ['records.owner', who(record.owner)],
    ['review.created', formatInstant(record.createdAt)],
    ['records.due', formatInstant(record.dueAt)],
  ];
  if (record.parent) facts.push(['review.parent', <RecordLink record={record.parent} />]);
  if (record.raisedFrom) facts.push(['review.raisedFrom', <RecordLink record={record.raisedFrom} />]);
  const [dialog, openDialog] = useDialog();
  const changing = mayChange(props.me, dossier);
  const change = (kind: Kind, step: Step | null, ahead?: StepAhead): void => {
    let message = '';
    let taskId = '';
    openDialog((close) => (
      <ChangeDialog
        me={props.me}
        dossier={dossier}
        kind={kind}
        step={step}
        {...(ahead && { ahead })}
        done={(text, task) => {
          message = text;
          taskId = task;
        }}
        onClose={close}
      />
    ))
      .then((done) => {
        if (!done) return;
        // A step opened ahead of the flow is done next, by whoever opened it.
        if (kind === 'outOfOrder') window.location.hash = `#/task/${taskId}`;
        else decided(message);
      })
      .catch(reportError);
  };
  const ahead = record.stepsAhead.filter((step) => mayDoAhead(props.me, dossier, step));

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
      {ahead.length > 0 ? (
        <section class="card" id="record-ahead">
          <h2>{t('change.aheadTitle')}</h2>
          <p class="hint">{t('change.aheadIntro')}</p>
          <ul class="plain">
            {ahead.map((step) => (
              <li key={step.elementId} data-ahead={step.elementId}>
                <span>{step.name}</span>{' '}
                <button type="button" onClick={() => change('outOfOrder', null, step)}>
                  {t(CHANGE_BUTTONS.outOfOrder)}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
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
      <RecordSteps
        dossier={dossier}
        head={
          changing ? (
            <button type="button" id="change-add" onClick={() => change('add', null)}>
              {t(CHANGE_BUTTONS.add)}
            </button>
          ) : null
        }
        actions={(step) =>
          changing && stepChanges(step).length > 0 ? (
            <div class="actions changes">
              {stepChanges(step).map((kind) => (
                <button key={kind} type="button" data-change-kind={kind} onClick={() => change(kind, step)}>
                  {t(CHANGE_BUTTONS[kind])}
                </button>
              ))}
            </div>
          ) : null
        }
      />
      {dialog}
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

/** The product recipe (parameter set) the record was started from, where its template has them. */
function recipe(variables: Record<string, unknown>): [MessageKey, ComponentChild][] {
  const set = variables.parameterSet;
  return typeof set === 'string' && set ? [['new.parameterSet', set]] : [];
}
