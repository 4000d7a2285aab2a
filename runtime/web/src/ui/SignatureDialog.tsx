import type { Meaning } from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChildren, Ref } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { Problem } from '../api.ts';
import { Field, fieldProps } from './Field.tsx';
import { ModalForm } from './ModalForm.tsx';

const MEANING_KEYS: Record<Meaning, MessageKey> = {
  Performed: 'meaning.performed',
  Verified: 'meaning.verified',
  Reviewed: 'meaning.reviewed',
  Approved: 'meaning.approved',
  Released: 'meaning.released',
  Rejected: 'meaning.rejected',
  Reopened: 'meaning.reopened',
};
/** A signature's meaning in the person's language. */
export const meaningLabel = (meaning: Meaning) => t(MEANING_KEYS[meaning]);

/** The signer's password typed again (B1) and what signing means: the end of a signing dialog. */
export function SignerPassword(props: {
  id: string;
  value: string;
  onInput(value: string): void;
  inputRef: Ref<HTMLInputElement>;
}) {
  return (
    <>
      <Field id={props.id} label={t('sign.password')}>
        <input
          ref={props.inputRef}
          type="password"
          autocomplete="current-password"
          {...fieldProps(props.id, undefined)}
          value={props.value}
          onInput={(event) => props.onInput(event.currentTarget.value)}
        />
      </Field>
      <p class="note">{t('sign.binding')}</p>
    </>
  );
}

/** What is signed in an administrative act: approved, rejected, or proposed for a second administrator. */
export type AdminMeaning = 'Approved' | 'Rejected' | 'Proposed';

const ADMIN_MEANING_KEYS: Record<AdminMeaning, MessageKey> = {
  Approved: 'admin.meaning.approved',
  Rejected: 'admin.meaning.rejected',
  Proposed: 'admin.meaning.proposed',
};
/** The meaning of an administrative signature in the person's language; one it does not know as it is. */
export const adminMeaningLabel = (meaning: string): string =>
  Object.hasOwn(ADMIN_MEANING_KEYS, meaning) ? t(ADMIN_MEANING_KEYS[meaning as AdminMeaning]) : meaning;

/** The password typed again, and a reason where the signer gave one. */
export interface SignatureInput {
  password: string;
  reason?: string;
}

/**
 * A refusal the signature dialog answers itself, keeping it open: the password, the lock, the
 * signature's own fields. Any other refusal belongs to the page.
 */
export function signatureProblem(error: unknown): boolean {
  if (!(error instanceof Problem)) return false;
  if (error.status === 401 || error.status === 423) return true;
  return (
    error.errors.length > 0 &&
    error.errors.every((e) => e.pointer.startsWith('/signature') || e.pointer === '/password')
  );
}

/**
 * How the dialog speaks: of a step of a record (the operator's completion, where the server alone
 * judges what was typed), of a record as a whole (e.g. its reopening), or of an administrative act (where a missing password or required
 * reason is pointed out before anything is sent).
 */
const WORDING = {
  step: {
    title: 'sign.title',
    meaning: 'sign.meaning',
    signer: 'sign.signer',
    password: 'sign.password',
    reasonRequired: 'sign.reason',
    reasonOptional: 'sign.reason',
    reasonHint: 'sign.reasonHint',
    binding: 'sign.binding',
    submit: 'sign.submit',
    checksFirst: false,
  },
  record: {
    title: 'sign.title',
    meaning: 'sign.meaningRecord',
    signer: 'sign.signer',
    password: 'sign.password',
    reasonRequired: 'sign.reason',
    reasonOptional: 'admin.sign.reasonOptional',
    reasonHint: 'admin.sign.reasonHint',
    binding: 'sign.binding',
    submit: 'sign.submit',
    checksFirst: false,
  },
  admin: {
    title: 'sign.title',
    meaning: 'admin.sign.meaning',
    signer: 'admin.sign.signer',
    password: 'admin.sign.password',
    reasonRequired: 'admin.sign.reasonRequired',
    reasonOptional: 'admin.sign.reasonOptional',
    reasonHint: 'admin.sign.reasonHint',
    binding: 'admin.sign.binding',
    submit: 'admin.sign.submit',
    checksFirst: true,
  },
} as const satisfies Record<string, Record<string, MessageKey | boolean>>;

type SignatureProps = {
  /** The dialog's id; its fields are `<fields>-password`, `<fields>-reason`, … (`fields` defaults to `id`). */
  id: string;
  fields?: string;
  title?: string;
  confirm?: string;
  /** What the signature is given for, in a sentence, before anything else. */
  act?: string;
  /** Shown right after the meaning, e.g. that the decision may turn out a rejection. */
  note?: ComponentChildren;
  signer: { printedName: string; username: string };
  /** More of the dialog before the password, e.g. the roles being granted. */
  children?: ComponentChildren;
  /** A reason: required (a rejection, B3), optional, or none asked. */
  reason: 'required' | 'optional' | 'none';
  /** What the reason is asked for, in place of the wording's own hint. */
  reasonHint?: string;
  /** Sends the signature; a message keeps the dialog open (the password emptied) and shows it, null closes it. */
  sign(input: SignatureInput): Promise<string | null>;
  onClose(done: boolean): void;
} & ({ wording: 'step' | 'record'; meaning: Meaning } | { wording: 'admin'; meaning: AdminMeaning });

/**
 * The electronic signature (B1, B2): its meaning and the signer shown, the password typed again,
 * a reason where one is needed.
 */
export function SignatureDialog(props: SignatureProps) {
  const { id } = props;
  const fields = props.fields ?? id;
  const words = WORDING[props.wording];
  const meaning = props.wording === 'admin' ? adminMeaningLabel(props.meaning) : meaningLabel(props.meaning);
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<{ password?: string; reason?: string }>({});
  const passwordInput = useRef<HTMLInputElement>(null);
  const reasonInput = useRef<HTMLTextAreaElement>(null);
  // Only the administrative dialog shows a place for each field's error.
  const errorAt = (field: 'password' | 'reason') => (words.checksFirst ? (errors[field] ?? null) : undefined);

  const submit = async (): Promise<string | null> => {
    setErrors({});
    const why = props.reason === 'none' ? '' : reason.trim();
    if (words.checksFirst && !password) {
      setErrors({ password: t('admin.required') });
      passwordInput.current?.focus();
      return t('admin.sign.passwordMissing');
    }
    if (words.checksFirst && props.reason === 'required' && !why) {
      setErrors({ reason: t('admin.required') });
      reasonInput.current?.focus();
      return t('admin.reasonMissing');
    }
    const problem = await props.sign({ password, ...(why && { reason: why }) });
    if (problem !== null) {
      setPassword('');
      passwordInput.current?.focus();
    }
    return problem;
  };
  return (
    <ModalForm
      id={id}
      title={props.title ?? t(words.title)}
      confirm={props.confirm ?? t(words.submit)}
      submit={submit}
      onClose={props.onClose}
    >
      {props.act ? <p>{props.act}</p> : null}
      <p class="meaning" id={`${fields}-meaning`}>
        {t(words.meaning, { meaning })}
      </p>
      {props.note}
      <p id={`${fields}-signer`}>
        {t(words.signer, { name: props.signer.printedName, username: props.signer.username })}
      </p>
      {props.children}
      <Field id={`${fields}-password`} label={t(words.password)} error={errorAt('password')}>
        <input
          ref={passwordInput}
          type="password"
          autocomplete="current-password"
          {...fieldProps(`${fields}-password`, errorAt('password'))}
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
      </Field>
      {props.reason === 'none' ? null : (
        <Field
          id={`${fields}-reason`}
          label={t(props.reason === 'required' ? words.reasonRequired : words.reasonOptional)}
          hint={props.reasonHint ?? t(words.reasonHint)}
          error={errorAt('reason')}
        >
          <textarea
            ref={reasonInput}
            rows={2}
            maxLength={1000}
            {...fieldProps(`${fields}-reason`, errorAt('reason'))}
            value={reason}
            onInput={(event) => setReason(event.currentTarget.value)}
          />
        </Field>
      )}
      <p class="note">{t(words.binding)}</p>
    </ModalForm>
  );
}
