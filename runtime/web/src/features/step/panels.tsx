import {
  templateOf,
  valueText,
  type FieldState,
  type TaskDetail,
  type TaskForm,
  type ValueState,
} from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { useRef, useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api } from '../../api/client.ts';
import { Field } from '../../ui/Field.tsx';
import { ModalForm } from '../../ui/ModalForm.tsx';
import { meaningLabel } from '../../ui/SignatureDialog.tsx';

const SEVERITY_KEYS: Record<string, MessageKey> = {
  low: 'severity.low',
  medium: 'severity.medium',
  high: 'severity.high',
};

const fieldOf = (contract: TaskForm, pointer: string) =>
  contract.fields.find((f) => f.pointer === templateOf(pointer));

/** A value with its unit, as lists outside the form show it. */
function valueWithUnit(value: unknown, field: FieldState | undefined): string {
  const text = valueText(value, field);
  return field?.unit && text !== '—' ? `${text} ${field.unit}` : text;
}

/** The exceptions the step's values raised, by severity. */
export function ExceptionsPanel({ contract }: { contract: TaskForm }) {
  if (contract.exceptions.length === 0) return null;
  return (
    <section class="panel exceptions" id="step-exceptions">
      <h2>{t('step.exceptions')}</h2>
      <ul>
        {contract.exceptions.map((e, i) => (
          <li key={i} class={`exception ${e.severity}`} data-pointer={e.pointer ?? undefined}>
            <span class={`badge severity-${e.severity}`}>
              {t(SEVERITY_KEYS[e.severity] ?? 'severity.high')}
            </span>
            {e.blocking ? <span class="badge danger">{t('step.blocking')}</span> : null}
            <span>{e.message}</span>
            {e.comment ? (
              <p class="operator-comment">{t('breach.comments', { comment: e.comment })}</p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Values changed after their first entry (D5): what they were, and why they changed. */
export function ChangedPanel({ contract }: { contract: TaskForm }) {
  const changed = contract.values.filter((v) => v.changedAfterEntry);
  if (changed.length === 0) return null;
  return (
    <section class="panel changed" id="step-changed">
      <h2>{t('step.changedValues')}</h2>
      <ul>
        {changed.map((v) => {
          const field = fieldOf(contract, v.pointer);
          const was = `${field?.label ?? v.pointer}: ${valueWithUnit(v.originalValue, field)} → ${valueWithUnit(v.value, field)}`;
          return (
            <li key={v.pointer} data-pointer={v.pointer}>
              {v.changeReason ? `${was} (${v.changeReason})` : was}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function ToVerify(props: { contract: TaskForm; waiting: ValueState[] }) {
  return (
    <ul class="to-verify">
      {props.waiting.map((v) => {
        const field = fieldOf(props.contract, v.pointer);
        return (
          <li key={v.pointer} data-pointer={v.pointer}>
            {`${field?.label ?? v.pointer}: ${valueWithUnit(v.value, field)}`}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Critical values typed by hand wait for a second person (E5): they verify at this device with
 * their own user name and password; their signature means Verified.
 */
export function VerificationPanel(props: {
  task: TaskDetail;
  contract: TaskForm;
  verified: (contract: TaskForm) => void;
}) {
  const [verifying, setVerifying] = useState(false);
  const waiting = props.contract.values.filter((v) => v.needsVerification);
  if (waiting.length === 0) return null;
  // The dialog stands beside the panel, not in it, so the panel's styles stay out of it.
  return (
    <>
      <section class="panel verification" id="step-verification">
        <h2>{t('step.verifyTitle')}</h2>
        <p>{t('step.verifyNeeded')}</p>
        <ToVerify contract={props.contract} waiting={waiting} />
        <button type="button" id="step-verify" onClick={() => setVerifying(true)}>
          {t('step.verify')}
        </button>
      </section>
      {verifying ? (
        <VerifyDialog
          {...props}
          waiting={waiting}
          onClose={(answer) => {
            setVerifying(false);
            if (answer) props.verified(answer);
          }}
        />
      ) : null}
    </>
  );
}

function VerifyDialog(props: {
  task: TaskDetail;
  contract: TaskForm;
  waiting: ValueState[];
  onClose: (answer: TaskForm | null) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const answer = useRef<TaskForm | null>(null);
  const submit = async (): Promise<string | null> => {
    try {
      const verified = await api.post('/api/tasks/{id}/verification', {
        path: { id: props.task.id },
        body: { username: username.trim(), password },
      });
      answer.current = verified as TaskForm;
      return null;
    } catch (error) {
      setPassword('');
      return error instanceof Problem ? error.detail : (error as Error).message;
    }
  };
  return (
    <ModalForm
      id="verify-dialog"
      title={t('verify.title')}
      confirm={t('verify.submit')}
      submit={submit}
      onClose={(done) => props.onClose(done ? answer.current : null)}
    >
      <p>{t('verify.who', { meaning: meaningLabel('Verified') })}</p>
      <ToVerify contract={props.contract} waiting={props.waiting} />
      <Field id="verify-username" label={t('verify.username')}>
        <input
          id="verify-username"
          name="verify-username"
          type="text"
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          value={username}
          onInput={(event) => setUsername(event.currentTarget.value)}
        />
      </Field>
      <Field id="verify-password" label={t('verify.password')}>
        <input
          id="verify-password"
          name="verify-password"
          type="password"
          autocomplete="off"
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
      </Field>
    </ModalForm>
  );
}
