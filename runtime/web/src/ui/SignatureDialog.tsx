import type { Meaning, StepSignature } from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { useRef, useState } from 'preact/hooks';
import { Field } from './Field.tsx';
import { ModalForm } from './ModalForm.tsx';

const MEANING_KEYS: Record<Meaning, MessageKey> = {
  Performed: 'meaning.performed',
  Verified: 'meaning.verified',
  Reviewed: 'meaning.reviewed',
  Approved: 'meaning.approved',
  Released: 'meaning.released',
  Rejected: 'meaning.rejected',
};
/** A signature's meaning in the person's language. */
export const meaningLabel = (meaning: Meaning) => t(MEANING_KEYS[meaning]);

export interface SignatureInput {
  password: string;
  /** Given when the signature may be a rejection and the signer wrote one. */
  reason?: string;
}

/**
 * The electronic signature of a completion (B1, B2): meaning and signer shown, the password typed
 * again, and a reason when the signature may turn out a rejection. `sign` sends it; a message it
 * answers (a wrong password, a missing reason) keeps the dialog open with the password emptied.
 */
export function SignatureDialog(props: {
  signature: StepSignature;
  signer: { printedName: string; username: string };
  sign(input: SignatureInput): Promise<string | null>;
  onClose(done: boolean): void;
}) {
  const { signature, signer } = props;
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const passwordInput = useRef<HTMLInputElement>(null);
  const submit = async (): Promise<string | null> => {
    const why = signature.rejectable ? reason.trim() : '';
    const problem = await props.sign({ password, ...(why && { reason: why }) });
    if (problem !== null) {
      setPassword('');
      passwordInput.current?.focus();
    }
    return problem;
  };
  return (
    <ModalForm
      id="sign-dialog"
      title={t('sign.title')}
      confirm={t('sign.submit')}
      submit={submit}
      onClose={props.onClose}
    >
      <p class="meaning" id="sign-meaning">
        {t('sign.meaning', { meaning: meaningLabel(signature.meaning) })}
      </p>
      {signature.rejectable ? (
        <p class="note">{t('sign.rejectable', { rejected: meaningLabel('Rejected') })}</p>
      ) : null}
      <p id="sign-signer">{t('sign.signer', { name: signer.printedName, username: signer.username })}</p>
      <Field id="sign-password" label={t('sign.password')}>
        <input
          ref={passwordInput}
          id="sign-password"
          name="sign-password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
      </Field>
      {signature.rejectable ? (
        <Field id="sign-reason" label={t('sign.reason')} hint={t('sign.reasonHint')}>
          <textarea
            id="sign-reason"
            name="sign-reason"
            rows={2}
            maxLength={1000}
            value={reason}
            onInput={(event) => setReason(event.currentTarget.value)}
          />
        </Field>
      ) : null}
      <p class="note">{t('sign.binding')}</p>
    </ModalForm>
  );
}
