import { t } from '@attest/task-form/i18n';
import type { ComponentChild } from 'preact';
import { useState } from 'preact/hooks';
import { Choices, gmpApproval, type Role } from '../access.tsx';
import { Problem } from '../../../api.ts';
import { api } from '../../../api/client.ts';
import { type Me } from '../../../app/me.ts';
import type { FieldError } from '@attest/task-form';
import { errorsAtFields, Field, fieldProps } from '../../../ui/Field.tsx';
import { FieldError as FieldErrorNote } from '../../../ui/FieldError.tsx';
import { SignatureDialog } from '../../../ui/SignatureDialog.tsx';
import { problemText } from '../../../ui/problem.ts';
import { signedAct } from '../common.tsx';
import { roleChoices, rolesLegend, type WithPassword } from './users.ts';
import { Message } from '../../../ui/Message.tsx';

const FIELDS = {
  username: '/username',
  printedName: '/printedName',
  email: '/email',
  roles: '/roles',
} as const;
type Name = keyof typeof FIELDS;
const IDS: Record<Name, string> = {
  username: 'user-username',
  printedName: 'user-printed-name',
  email: 'user-email',
  roles: 'user-roles',
};

/** The form of a new user; creating is e-signed (granting roles, A3). */
export function CreateUserForm(props: {
  me: Me;
  roles: Role[];
  hidden: boolean;
  open(make: (close: (done: boolean) => void) => ComponentChild): Promise<boolean>;
  created(result: WithPassword): Promise<void>;
  cancel(): void;
}) {
  const { me } = props;
  const [values, setValues] = useState({ username: '', printedName: '', email: '' });
  const [roles, setRoles] = useState<string[]>([]);
  const [errors, setErrors] = useState<Partial<Record<Name, string>>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  const input = (name: 'username' | 'printedName' | 'email') => ({
    ...fieldProps(IDS[name], errors[name]),
    value: values[name],
    onInput: (event: { currentTarget: HTMLInputElement }) =>
      setValues((v) => ({ ...v, [name]: event.currentTarget.value })),
  });
  /** Shows each error at its field, the first one focused; returns those no field takes. */
  const place = (list: FieldError[]): FieldError[] => {
    const { at, rest, first } = errorsAtFields(list, FIELDS);
    setErrors(at);
    if (first) document.getElementById(IDS[first as Name])?.focus();
    return rest;
  };

  const submit = async () => {
    setMessage(null);
    const body = {
      username: values.username.trim(),
      printedName: values.printedName.trim(),
      ...(values.email.trim() && { email: values.email.trim() }),
      roles,
    };
    const missing = [
      ...(body.username ? [] : [{ pointer: '/username', keyword: 'required', message: t('admin.required') }]),
      ...(body.printedName
        ? []
        : [{ pointer: '/printedName', keyword: 'required', message: t('admin.required') }]),
    ];
    place(missing);
    if (missing.length > 0) return;
    let result: WithPassword | null = null;
    const creation = signedAct(async (signature) => {
      result = await api.post('/api/users', { body: { ...body, signature } });
    });
    setSending(true);
    try {
      const signed = await props.open((close) => (
        <SignatureDialog
          id="create-user-dialog"
          title={t('admin.users.createTitle')}
          act={t('admin.users.createAct', {
            who: `${body.printedName} (${body.username})`,
            roles: body.roles.join(', ') || t('admin.users.noRoles'),
          })}
          wording="admin"
          meaning="Approved"
          signer={me.user}
          reason="optional"
          confirm={t('admin.sign.submit')}
          sign={creation.send}
          onClose={close}
        />
      ));
      if (!signed) return;
      const refused = creation.refused();
      if (refused) {
        const problem = refused instanceof Problem ? refused : null;
        // A taken user name is a conflict without a pointer: it belongs at the user name.
        const errors =
          problem?.status === 409
            ? [{ pointer: '/username', keyword: 'conflict', message: problem.detail }]
            : (problem?.errors ?? []);
        const rest = place(errors);
        if (rest.length > 0 || errors.length === 0) {
          setMessage(problem && errors.length > 0 ? t('admin.users.notCreated') : problemText(refused));
        }
        return;
      }
      if (result) await props.created(result);
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class="card admin-form"
      id="user-form"
      noValidate
      hidden={props.hidden}
      onSubmit={(event) => {
        event.preventDefault();
        submit().catch(reportError);
      }}
      onReset={(event) => {
        event.preventDefault();
        props.cancel();
      }}
    >
      <h2>{t('admin.users.newTitle')}</h2>
      <Field
        id={IDS.username}
        label={t('admin.users.username')}
        hint={t('admin.users.usernameHint')}
        error={errors.username ?? null}
      >
        <input
          type="text"
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          maxLength={63}
          {...input('username')}
        />
      </Field>
      <Field
        id={IDS.printedName}
        label={t('admin.users.printedName')}
        hint={t('admin.users.printedNameHint')}
        error={errors.printedName ?? null}
      >
        <input type="text" autocomplete="off" maxLength={200} {...input('printedName')} />
      </Field>
      <Field
        id={IDS.email}
        label={t('admin.users.email')}
        hint={t('admin.users.emailHint')}
        error={errors.email ?? null}
      >
        <input type="email" autocomplete="off" maxLength={254} {...input('email')} />
      </Field>
      <Choices
        id={IDS.roles}
        legend={rolesLegend()}
        // Under dual control a new user gets GMP approval authority only by a grant a second administrator approves.
        items={roleChoices(props.roles, (role) =>
          me.plant.dualControl && gmpApproval(me, role.permissions).length > 0
            ? t('admin.users.grantLater')
            : null,
        )}
        ticked={roles}
        onChange={setRoles}
        invalid={errors.roles}
      >
        <FieldErrorNote id="user-roles-error" message={errors.roles} />
      </Choices>
      <Message tone="error">{message}</Message>
      <div class="admin-form-actions">
        <button type="reset">{t('admin.cancel')}</button>
        <button type="submit" class="primary" id="user-create" disabled={sending}>
          {t('admin.users.create')}
        </button>
      </div>
    </form>
  );
}
