import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChild } from 'preact';
import { formatInstant } from '../../time.ts';
import { Table } from '../../ui/Table.tsx';
import {
  fieldText,
  provenanceText,
  severityLabel,
  STEP_KEYS,
  who,
  type Dossier,
  type DossierException,
  type DossierValue,
  type Signature,
} from './dossier.ts';
import { ChangeNote } from './RunTimeChanges.tsx';

// The parts of a record as a reviewer reads them, on the record page and beside a review step.

const ORIGIN_KEYS: Partial<Record<Dossier['steps'][number]['origin'], MessageKey>> = {
  repeat: 'review.origin.repeat',
  added: 'review.origin.added',
  early: 'review.origin.early',
};

/**
 * Every step of the record: who completed it, how a run-time change made or skipped it, its
 * signatures, its values with provenance. The record page adds its changes: `head` beside the
 * title, `actions` under each step.
 */
export function RecordSteps(props: {
  dossier: Dossier;
  head?: ComponentChild;
  actions?: (step: Dossier['steps'][number]) => ComponentChild;
}) {
  const { dossier } = props;
  const signatures = new Map(dossier.signatures.map((s) => [s.id, s]));
  return (
    <section id="record-steps">
      <div class="section-head">
        <h2>{t('review.steps')}</h2>
        {props.head}
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
          {props.actions?.(step)}
          {step.signatureIds
            .map((id) => signatures.get(id))
            .filter((s): s is Signature => s !== undefined)
            .map((s) => (
              <p key={s.id} class="manifestation">
                {s.manifestation.text}
                <BeforeReopening signature={s} />
              </p>
            ))}
          {step.values.length > 0 ? <ValuesTable values={step.values} exceptions={step.exceptions} /> : null}
        </article>
      ))}
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

export function Signatures({ list }: { list: Signature[] }) {
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
