import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { Problem, request } from '../../api.ts';
import { formatInstant } from '../../time.ts';
import type { Me } from '../shell.ts';
import {
  changesLink,
  choices,
  difference,
  gmpApproval,
  pendingBadge,
  pendingTargets,
  permissionName,
  permissionsOf,
  signatureMode,
  type Role,
} from './access.ts';
import {
  attempt,
  fieldRow,
  markField,
  notice,
  pageHead,
  problemText,
  reasonDialog,
  showAtFields,
  signatureDialog,
  signedAct,
  table,
} from './common.ts';
import { onAsync } from '../../events.ts';

interface User {
  id: string;
  username: string;
  printedName: string;
  email: string | null;
  active: boolean;
  locked: boolean;
  mustChangePassword: boolean;
  passwordChangedAt: string;
  roles: string[];
}

interface WithPassword {
  user: User;
  oneTimePassword: string;
}

/**
 * The administrator's users (A1, A3, A6): who may sign in with which roles; creating a user and
 * granting roles are e-signed, deactivating and resetting need a reason, and a one-time password is
 * shown once, to be handed over. Under dual control a grant of GMP approval authority is proposed
 * for a second administrator instead.
 */
export async function usersView(container: HTMLElement, me: Me): Promise<void> {
  const mayGrant = me.permissions.includes('roles.manage');
  const [{ users }, roles, pending] = await Promise.all([
    request<{ users: User[] }>('GET', '/api/users'),
    mayGrant ? request<{ roles: Role[] }>('GET', '/api/roles').then((r) => r.roles) : null,
    pendingTargets(me),
  ]);
  const knownRoles: Role[] =
    roles ??
    [...new Set(users.flatMap((u) => u.roles))]
      .sort()
      .map((name) => ({ name, title: name, description: '', permissions: [] }));
  const roleTitle = (name: string) => knownRoles.find((r) => r.name === name)?.title ?? name;
  /** The GMP approval authority a grant of these roles brings, which dual control puts to a second administrator. */
  const needsSecond = (roles: string[]) =>
    me.plant.dualControl ? gmpApproval(me, permissionsOf(knownRoles, roles)) : [];

  const message = h('p', { class: 'message', id: 'users-notice', hidden: true });
  const handOver = h('div', { id: 'users-hand-over' });
  const listing = h('div', { id: 'users-list' });
  const form = createForm(me, knownRoles, async (created) => {
    showPassword(handOver, created, 'created');
    await reload();
  });
  form.hidden = true;
  const add = h('button', { type: 'button', class: 'primary', id: 'user-new' }, t('admin.users.new'));
  add.addEventListener('click', () => {
    form.hidden = false;
    add.hidden = true;
    form.querySelector('input')?.focus();
  });
  form.addEventListener('reset', () => {
    form.hidden = true;
    add.hidden = false;
  });

  const reload = async () => {
    const [fresh, waiting] = await Promise.all([
      request<{ users: User[] }>('GET', '/api/users'),
      pendingTargets(me),
    ]);
    show(listing, usersTable(fresh.users, waiting));
  };
  // The list is current when the message says it is done.
  const done = async (...text: (Node | string)[]) => {
    await reload();
    notice(message, 'success', ...text);
  };

  const act = async (user: User, action: string) => {
    message.hidden = true;
    const who = `${user.printedName} (${user.username})`;
    if (action === 'deactivate' || action === 'reactivate') {
      const deactivate = action === 'deactivate';
      const ok = await reasonDialog({
        id: `${action}-dialog`,
        title: t(deactivate ? 'admin.users.deactivateTitle' : 'admin.users.reactivateTitle', { who }),
        text: t(deactivate ? 'admin.users.deactivateText' : 'admin.users.reactivateText'),
        confirm: t(deactivate ? 'admin.users.deactivateConfirm' : 'admin.users.reactivateConfirm'),
        send: (reason) => attempt(() => request('POST', `/api/users/${user.id}/${action}`, { reason })),
      });
      if (ok) await done(t(deactivate ? 'admin.users.deactivated' : 'admin.users.reactivated', { who }));
    } else if (action === 'reset') {
      let reset: WithPassword | null = null;
      const ok = await reasonDialog({
        id: 'reset-dialog',
        title: t('admin.users.resetTitle', { who }),
        text: t('admin.users.resetText'),
        confirm: t('admin.users.resetConfirm'),
        send: (reason) =>
          attempt(async () => {
            reset = await request<WithPassword>('POST', `/api/users/${user.id}/reset-password`, { reason });
          }),
      });
      if (ok && reset) {
        showPassword(handOver, reset, 'reset');
        await reload();
      }
    } else if (action === 'roles') {
      const boxes = roleChoices(`roles-${user.username}`, knownRoles, user.roles);
      const second = () => needsSecond(difference(user.roles, boxes.chosen()).added);
      const dual = h('p', { class: 'note', id: 'roles-dialog-dual', hidden: !me.plant.dualControl });
      const describe = () => {
        const gmp = second();
        dual.textContent =
          gmp.length > 0
            ? t('admin.users.needsSecond', { permissions: gmp.map(permissionName).join(', ') })
            : t('admin.users.dualNote');
        signatureMode('roles-dialog', gmp.length > 0);
      };
      describe();
      boxes.fieldset.addEventListener('change', describe);
      let proposed = false;
      const ok = await signatureDialog({
        id: 'roles-dialog',
        title: t('admin.users.rolesTitle', { who }),
        act: t('admin.users.rolesAct', { who }),
        meaning: 'Approved',
        me,
        content: [boxes.fieldset, dual],
        reason: 'optional',
        confirm: t('admin.sign.submit'),
        send: (signature) =>
          attempt(async () => {
            proposed = second().length > 0;
            const path = `/api/users/${user.id}/roles${proposed ? '/proposals' : ''}`;
            await request(proposed ? 'POST' : 'PUT', path, { roles: boxes.chosen(), signature });
          }),
      });
      if (ok && proposed)
        await done(t('admin.users.rolesProposed', { who }), ' ', changesLink('users-changes'));
      else if (ok) await done(t('admin.users.rolesChanged', { who }));
    }
  };

  function usersTable(list: User[], waiting: Set<string>): HTMLElement {
    if (list.length === 0) return h('p', { class: 'empty' }, t('admin.users.empty'));
    const rows = list.map((user) => {
      const self = user.id === me.user.id;
      const button = (action: string, label: string) => {
        const b = h('button', { type: 'button', 'data-action': action, 'data-user': user.username }, label);
        b.addEventListener('click', () => void act(user, action));
        return b;
      };
      const actions = self
        ? [h('span', { class: 'note' }, t('admin.users.self'))]
        : [
            mayGrant && user.active ? button('roles', t('admin.users.roles')) : null,
            user.active ? button('reset', t('admin.users.reset')) : null,
            user.active
              ? button('deactivate', t('admin.users.deactivate'))
              : button('reactivate', t('admin.users.reactivate')),
          ];
      return h(
        'tr',
        { 'data-user': user.username, class: user.active ? undefined : 'inactive' },
        h(
          'td',
          {},
          h('strong', { class: 'admin-name' }, user.printedName),
          h('span', { class: 'admin-sub' }, user.username),
          user.email ? h('span', { class: 'admin-sub' }, user.email) : null,
        ),
        h(
          'td',
          {},
          h(
            'span',
            { class: 'admin-badges' },
            ...(user.roles.length > 0
              ? user.roles.map((r) => h('span', { class: 'badge' }, roleTitle(r)))
              : [h('span', { class: 'note' }, t('admin.users.noRoles'))]),
            waiting.has(user.id) ? pendingBadge() : null,
          ),
        ),
        h(
          'td',
          { class: 'state' },
          h(
            'span',
            { class: 'admin-badges' },
            user.active
              ? h('span', { class: 'badge admin-ok' }, t('admin.users.active'))
              : h('span', { class: 'badge admin-muted' }, t('admin.users.inactive')),
            user.locked ? h('span', { class: 'badge danger' }, t('admin.users.locked')) : null,
            user.mustChangePassword
              ? h('span', { class: 'badge admin-warn' }, t('admin.users.oneTimePending'))
              : null,
          ),
          h(
            'span',
            { class: 'admin-sub' },
            t('admin.users.passwordChanged', { at: formatInstant(user.passwordChangedAt) }),
          ),
        ),
        h('td', { class: 'actions' }, h('div', { class: 'admin-row-actions' }, ...actions)),
      );
    });
    return table(
      { id: 'users' },
      [t('admin.users.user'), t('admin.users.rolesColumn'), t('admin.users.state'), t('admin.users.actions')],
      rows,
    );
  }

  show(
    container,
    pageHead(t('admin.users.title'), add),
    h('p', { class: 'note admin-intro' }, t('admin.users.intro')),
    mayGrant && me.plant.dualControl
      ? h('p', { class: 'note admin-intro' }, t('admin.users.dualNote'))
      : null,
    handOver,
    message,
    form,
    listing,
  );
  show(listing, usersTable(users, pending));
}

/**
 * Checkboxes of the roles, as a fieldset, and which of them are ticked; `locked` roles are shown but
 * cannot be ticked, with why.
 */
function roleChoices(id: string, roles: Role[], held: string[], locked?: (role: Role) => string | null) {
  return choices(
    id,
    t('admin.users.rolesLegend'),
    roles.map((role) => {
      const why = locked?.(role) ?? null;
      return {
        value: role.name,
        title: role.title,
        note: role.description,
        mark: why ?? undefined,
        disabled: why !== null,
      };
    }),
    held,
  );
}

/** The form of a new user; creating is e-signed (granting roles, A3). */
function createForm(
  me: Me,
  roles: Role[],
  created: (result: WithPassword) => Promise<void>,
): HTMLFormElement {
  const username = h('input', {
    type: 'text',
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
    maxlength: '63',
  });
  const printedName = h('input', { type: 'text', autocomplete: 'off', maxlength: '200' });
  const email = h('input', { type: 'email', autocomplete: 'off', maxlength: '254' });
  const fields = {
    '/username': fieldRow(
      'user-username',
      t('admin.users.username'),
      username,
      t('admin.users.usernameHint'),
    ),
    '/printedName': fieldRow(
      'user-printed-name',
      t('admin.users.printedName'),
      printedName,
      t('admin.users.printedNameHint'),
    ),
    '/email': fieldRow('user-email', t('admin.users.email'), email, t('admin.users.emailHint')),
  };
  // Under dual control a new user gets GMP approval authority only by a grant a second administrator approves.
  const boxes = roleChoices('user-roles', roles, [], (role) =>
    me.plant.dualControl && gmpApproval(me, role.permissions).length > 0 ? t('admin.users.grantLater') : null,
  );
  const rolesError = h('small', { class: 'field-error', id: 'user-roles-error', hidden: true });
  const rolesRow = { row: boxes.fieldset, input: boxes.fieldset, error: rolesError };
  boxes.fieldset.append(rolesError);
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', id: 'user-create' },
    t('admin.users.create'),
  );
  const form = h(
    'form',
    { class: 'card admin-form', id: 'user-form', novalidate: true },
    h('h2', {}, t('admin.users.newTitle')),
    fields['/username'].row,
    fields['/printedName'].row,
    fields['/email'].row,
    boxes.fieldset,
    message,
    h('div', { class: 'admin-form-actions' }, h('button', { type: 'reset' }, t('admin.cancel')), submit),
  );
  form.addEventListener('reset', () => {
    message.hidden = true;
    for (const field of [...Object.values(fields), rolesRow]) markField(field, null);
  });
  onAsync(form, 'submit', async (event) => {
    event.preventDefault();
    message.hidden = true;
    const body = {
      username: username.value.trim(),
      printedName: printedName.value.trim(),
      ...(email.value.trim() && { email: email.value.trim() }),
      roles: boxes.chosen(),
    };
    const missing = [
      ...(body.username ? [] : [{ pointer: '/username', keyword: 'required', message: t('admin.required') }]),
      ...(body.printedName
        ? []
        : [{ pointer: '/printedName', keyword: 'required', message: t('admin.required') }]),
    ];
    showAtFields(missing, { ...fields, '/roles': rolesRow });
    if (missing.length > 0) return;
    let result: WithPassword | null = null;
    const creation = signedAct(async (signature) => {
      result = await request<WithPassword>('POST', '/api/users', { ...body, signature });
    });
    submit.disabled = true;
    try {
      const signed = await signatureDialog({
        id: 'create-user-dialog',
        title: t('admin.users.createTitle'),
        act: t('admin.users.createAct', {
          who: `${body.printedName} (${body.username})`,
          roles: body.roles.join(', ') || t('admin.users.noRoles'),
        }),
        meaning: 'Approved',
        me,
        reason: 'optional',
        confirm: t('admin.sign.submit'),
        send: creation.send,
      });
      if (!signed) return;
      const refused = creation.refused();
      if (refused) {
        const problem = refused instanceof Problem ? refused : null;
        // A taken user name is a conflict without a pointer: it belongs at the user name.
        const errors =
          problem?.status === 409
            ? [{ pointer: '/username', keyword: 'conflict', message: problem.detail }]
            : (problem?.errors ?? []);
        const rest = showAtFields(errors, { ...fields, '/roles': rolesRow });
        if (rest.length > 0 || errors.length === 0) {
          message.textContent =
            problem && errors.length > 0 ? t('admin.users.notCreated') : problemText(refused);
          message.hidden = false;
        }
        return;
      }
      if (result) {
        form.reset();
        await created(result);
      }
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The one-time password, shown this once, to be handed to the person (A6). */
function showPassword(host: HTMLElement, result: WithPassword, why: 'created' | 'reset'): void {
  const who = `${result.user.printedName} (${result.user.username})`;
  const handed = h('button', { type: 'button', class: 'primary', id: 'hand-over-done' }, t('admin.otp.done'));
  handed.addEventListener('click', () => host.replaceChildren());
  show(
    host,
    h(
      'section',
      { class: 'panel admin-otp', role: 'status', 'aria-live': 'polite' },
      h('h2', {}, t(why === 'created' ? 'admin.otp.created' : 'admin.otp.reset', { who })),
      h('p', {}, t('admin.otp.handOver')),
      h('output', { class: 'admin-otp-value', id: 'one-time-password' }, result.oneTimePassword),
      h('p', { class: 'note' }, t('admin.otp.once')),
      handed,
    ),
  );
  host.scrollIntoView({ block: 'nearest' });
}
