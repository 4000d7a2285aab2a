import type { paths } from '@attest/task-form/api';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { formatInstant } from '../../time.ts';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { ModalForm } from '../../ui/ModalForm.tsx';
import { SignerPassword } from '../../ui/SignatureDialog.tsx';
import { who, type Dossier } from './dossier.ts';

type Step = Dossier['steps'][number];
type ChangeBody = paths['/api/records/{id}/changes']['post']['requestBody']['content']['application/json'];
type Kind = ChangeBody['kind'];

/** Records whose process still runs: the only ones a run-time change may touch (the server decides). */
const NOT_RUNNING = ['closed', 'held', 'cancelled', 'voided'];

/** Whether the person may change this record's steps at run time (D7). */
export const mayChange = (me: Me, dossier: Dossier): boolean =>
  me.permissions.includes('records.change') && !NOT_RUNNING.includes(dossier.record.status);

/** The changes offered on a step: skip an open one, repeat a completed one that has a form. */
export function stepChanges(step: Step): Kind[] {
  if (step.status === 'open') return ['skip'];
  if (step.status === 'completed' && step.form !== null && step.origin !== 'added') return ['repeat'];
  return [];
}

const CHANGE_LINE: Record<NonNullable<Step['change']>['kind'], MessageKey> = {
  skip: 'change.skipped',
  repeat: 'change.repeated',
  add: 'change.added',
  outOfOrder: 'change.aheadDone',
};

/** How a step came to be as it is when a run-time change touched it: who, when, why. */
export function ChangeNote({ step }: { step: Step }) {
  if (!step.change) return null;
  return (
    <p class="change-note" data-change={step.change.kind}>
      {t(CHANGE_LINE[step.change.kind], {
        who: who(step.change.by),
        at: formatInstant(step.change.at),
        reason: step.change.reason,
      })}
    </p>
  );
}

const TEXTS: Record<Kind, { title: MessageKey; explain: MessageKey; done: MessageKey }> = {
  skip: { title: 'change.titleSkip', explain: 'change.explainSkip', done: 'change.done.skip' },
  repeat: { title: 'change.titleRepeat', explain: 'change.explainRepeat', done: 'change.done.repeat' },
  add: { title: 'change.titleAdd', explain: 'change.explainAdd', done: 'change.done.add' },
  outOfOrder: {
    title: 'change.titleOutOfOrder',
    explain: 'change.explainOutOfOrder',
    done: 'change.done.outOfOrder',
  },
};

/** A later step the record's template allows to be done ahead of the flow (F1). */
export type StepAhead = Dossier['record']['stepsAhead'][number];

/** Whether the person may do this step ahead: one of its roles, or anyone who performs steps. */
export const mayDoAhead = (me: Me, dossier: Dossier, step: StepAhead): boolean =>
  !NOT_RUNNING.includes(dossier.record.status) &&
  (step.candidateRoles.length === 0
    ? me.permissions.includes('records.perform')
    : step.candidateRoles.some((role) => me.roles.includes(role)));

/**
 * A run-time change, signed: what it does, the step's name and form when one is added, the reason
 * and the password typed again. A refusal is said in the dialog, a wrong field at it.
 */
export function ChangeDialog(props: {
  me: Me;
  dossier: Dossier;
  kind: Kind;
  step: Step | null;
  /** For outOfOrder: the model's step to do ahead. */
  ahead?: StepAhead;
  done(message: string, taskId: string): void;
  onClose(done: boolean): void;
}) {
  const { kind, step, dossier, ahead } = props;
  const [forms, setForms] = useState<string[]>([]);
  const [formKey, setFormKey] = useState('');
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const passwordInput = useRef<HTMLInputElement>(null);
  const template = dossier.record.template;

  useEffect(() => {
    if (kind !== 'add' || !template) return;
    api
      .get('/api/templates/{templateId}/versions/{version}', {
        path: { templateId: template.id, version: template.version },
      })
      .then((version) => {
        setForms(version.forms);
        setFormKey((key) => key || (version.forms[0] ?? ''));
      })
      .catch(reportError);
  }, [kind, template?.id, template?.version]);

  const submit = async (): Promise<string | null> => {
    setErrors({});
    const missing = {
      reason: reason.trim() ? undefined : t('admin.required'),
      name: kind === 'add' && !name.trim() ? t('admin.required') : undefined,
    };
    if (missing.reason || missing.name) {
      setErrors(missing);
      return t('admin.required');
    }
    try {
      const made = await api.post('/api/records/{id}/changes', {
        path: { id: dossier.record.id },
        body: {
          kind,
          reason: reason.trim(),
          password,
          ...(step && { taskId: step.taskId }),
          ...(kind === 'add' && { formKey, name: name.trim() }),
          ...(ahead && { elementId: ahead.elementId }),
        },
      });
      props.done(t(TEXTS[kind].done), made.taskId);
      return null;
    } catch (error) {
      setPassword('');
      if (!(error instanceof Problem)) return t('common.error', { detail: (error as Error).message });
      setErrors({ reason: error.at('/reason'), name: error.at('/name'), formKey: error.at('/formKey') });
      passwordInput.current?.focus();
      const shown = ['/reason', '/name', '/formKey'];
      const rest = error.errors.filter((e) => !shown.includes(e.pointer));
      return rest.length > 0 ? `${error.detail} ${rest.map((e) => e.message).join('; ')}` : error.detail;
    }
  };

  return (
    <ModalForm
      id="change-dialog"
      title={t(TEXTS[kind].title, { step: step?.name ?? ahead?.name ?? '', number: dossier.record.number })}
      confirm={t('sign.submit')}
      submit={submit}
      onClose={props.onClose}
    >
      <p id="change-explain">{t(TEXTS[kind].explain)}</p>
      <p class="meaning" id="change-meaning">
        {t(kind === 'outOfOrder' ? 'change.meaningAhead' : 'change.meaning')}
      </p>
      <p id="change-signer">
        {t('sign.signer', { name: props.me.user.printedName, username: props.me.user.username })}
      </p>
      {kind === 'add' ? (
        <>
          <Field id="change-form" label={t('change.form')} error={errors.formKey ?? null}>
            <select
              {...fieldProps('change-form', errors.formKey)}
              value={formKey}
              onChange={(event) => setFormKey(event.currentTarget.value)}
            >
              {forms.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </Field>
          <Field id="change-name" label={t('change.name')} error={errors.name ?? null}>
            <input
              type="text"
              maxLength={200}
              {...fieldProps('change-name', errors.name)}
              value={name}
              onInput={(event) => setName(event.currentTarget.value)}
            />
          </Field>
        </>
      ) : null}
      <Field
        id="change-reason"
        label={t('change.reason')}
        hint={t('change.reasonHint')}
        error={errors.reason ?? null}
      >
        <textarea
          rows={3}
          maxLength={1000}
          {...fieldProps('change-reason', errors.reason)}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </Field>
      <SignerPassword id="change-password" value={password} onInput={setPassword} inputRef={passwordInput} />
    </ModalForm>
  );
}
