import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import type { components } from '@attest/task-form/api';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { ModalForm } from '../../ui/ModalForm.tsx';

export type Breach = components['schemas']['FormPreview']['exceptions'][number];

/** What the operator confirms: the breaches' pointers, and their comments by pointer. */
export interface BreachAnswer {
  confirmed: string[];
  comments: Record<string, string>;
}

const SEVERITY: Record<string, MessageKey> = {
  low: 'severity.low',
  medium: 'severity.medium',
  high: 'severity.high',
};

/**
 * Before the signature: the values outside their limits that completing the step records as
 * exceptions, each with its limits, severity and whether it holds the record back, and a comment
 * box (required where the template asks for one). The operator confirms them all, or goes back
 * to the form to correct a value.
 */
export function BreachConfirm(props: {
  breaches: Breach[];
  onConfirm(answer: BreachAnswer): void;
  onClose(): void;
}) {
  const [comments, setComments] = useState<Record<string, string>>({});
  const [checked, setChecked] = useState(false);
  const [missing, setMissing] = useState<Set<string>>(new Set());
  const [unchecked, setUnchecked] = useState(false);

  const submit = async (): Promise<string | null> => {
    const lacking = new Set(
      props.breaches.filter((b) => b.commentRequired && !comments[b.pointer]?.trim()).map((b) => b.pointer),
    );
    setMissing(lacking);
    setUnchecked(!checked);
    if (lacking.size > 0)
      return t(
        props.breaches.every((b) => !lacking.has(b.pointer) || b.type === 'fefo_override')
          ? 'breach.fefoReasonRequired'
          : 'breach.commentMissing',
      );
    if (!checked) return t('breach.confirmMissing');
    const given: Record<string, string> = {};
    for (const b of props.breaches) {
      const text = comments[b.pointer]?.trim();
      if (text) given[b.pointer] = text;
    }
    props.onConfirm({ confirmed: props.breaches.map((b) => b.pointer), comments: given });
    return null;
  };

  return (
    <ModalForm
      id="breach-dialog"
      title={t(props.breaches.some((b) => b.type === 'fefo_override') ? 'breach.titleMixed' : 'breach.title')}
      confirm={t('breach.confirm')}
      submit={submit}
      onClose={(done) => {
        if (!done) props.onClose();
      }}
    >
      <p>
        {t(props.breaches.some((b) => b.type === 'fefo_override') ? 'breach.textMixed' : 'breach.text', {
          count: props.breaches.length,
        })}
      </p>
      <ul class="breaches">
        {props.breaches.map((b, i) => {
          const id = `breach-comment-${i}`;
          const fefo = b.type === 'fefo_override';
          const error = missing.has(b.pointer)
            ? t(fefo ? 'breach.fefoReasonRequired' : 'breach.commentRequired')
            : null;
          return (
            <li key={b.pointer} class={`exception ${b.severity}`} data-pointer={b.pointer}>
              <p>
                <span class={`badge severity-${b.severity}`}>
                  {t(SEVERITY[b.severity] ?? 'severity.high')}
                </span>
                {b.blocking ? <span class="badge danger">{t('step.blocking')}</span> : null}
                <span class="breach-message">{b.message}</span>
              </p>
              <Field
                id={id}
                label={
                  fefo
                    ? t('breach.fefoReason')
                    : b.commentRequired
                      ? t('breach.comment')
                      : t('breach.commentOptional')
                }
                {...(b.blocking && { hint: t('breach.blockingHint') })}
                error={error}
              >
                <textarea
                  rows={2}
                  maxLength={1000}
                  {...fieldProps(id, error)}
                  value={comments[b.pointer] ?? ''}
                  onInput={(event) => {
                    const value = event.currentTarget.value;
                    setComments((now) => ({ ...now, [b.pointer]: value }));
                    // What is typed answers the field's complaint at once, not at the next confirm.
                    if (value.trim() && missing.has(b.pointer))
                      setMissing((now) => new Set([...now].filter((p) => p !== b.pointer)));
                  }}
                />
              </Field>
            </li>
          );
        })}
      </ul>
      <label class={`check${unchecked && !checked ? ' invalid' : ''}`}>
        <input
          type="checkbox"
          id="breach-confirmed"
          checked={checked}
          onChange={(event) => setChecked(event.currentTarget.checked)}
        />
        {t('breach.statement')}
      </label>
    </ModalForm>
  );
}
