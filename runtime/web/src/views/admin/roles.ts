import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { request } from '../../api.ts';
import type { Me } from '../shell.ts';
import {
  changesLink,
  choices,
  difference,
  pendingBadge,
  pendingTargets,
  permissionBadge,
  permissionLabel,
  signatureMode,
  type Role,
} from './access.ts';
import { PERMISSION_LABELS } from './permissionLabels.ts';
import { attempt, fieldRow, notice, pageHead, signatureDialog, table } from './common.ts';

/**
 * The roles and what each may do (A2, A3): changing a role is e-signed; under dual control a change
 * of its permissions is proposed, for a second administrator to approve. Nobody changes a role
 * they hold.
 */
export async function rolesView(container: HTMLElement, me: Me): Promise<void> {
  const message = h('p', { class: 'message', id: 'roles-notice', hidden: true });
  const listing = h('div', { id: 'roles-list' });

  const reload = async () => {
    const [{ roles }, waiting] = await Promise.all([
      request<{ roles: Role[] }>('GET', '/api/roles'),
      pendingTargets(me),
    ]);
    show(listing, rolesTable(roles, waiting));
  };

  const edit = async (role: Role) => {
    message.hidden = true;
    const name = `${role.title} (${role.name})`;
    const title = h('input', { type: 'text', autocomplete: 'off', maxlength: '200', value: role.title });
    const description = h('textarea', { rows: '2', maxlength: '1000' });
    description.value = role.description;
    const boxes = choices(
      'role-permissions',
      t('admin.roles.permissionsLegend'),
      Object.keys(PERMISSION_LABELS).map((permission) => ({
        value: permission,
        title: permissionLabel(permission),
        note: permission,
        mark: me.plant.gmpApproval.includes(permission) ? t('admin.permission.gmp') : undefined,
      })),
      role.permissions,
    );
    const changesPermissions = () => {
      const { added, removed } = difference(role.permissions, boxes.chosen());
      return added.length + removed.length > 0;
    };
    const proposal = () => me.plant.dualControl && changesPermissions();
    const dual = h('p', { class: 'note', id: 'role-dialog-dual', hidden: !me.plant.dualControl });
    const describe = () => {
      dual.textContent = t(proposal() ? 'admin.roles.needsSecond' : 'admin.roles.direct');
      signatureMode('role-dialog', proposal());
    };
    describe();
    boxes.fieldset.addEventListener('change', describe);
    let proposed = false;
    const ok = await signatureDialog({
      id: 'role-dialog',
      title: t('admin.roles.editTitle', { role: name }),
      act: t('admin.roles.act', { role: name }),
      meaning: 'Approved',
      me,
      content: [
        fieldRow('role-title', t('admin.roles.titleField'), title).row,
        fieldRow('role-description', t('admin.roles.descriptionField'), description).row,
        boxes.fieldset,
        dual,
      ],
      reason: 'optional',
      confirm: t('admin.sign.submit'),
      send: async (signature) => {
        const body = {
          title: title.value.trim(),
          description: description.value.trim(),
          permissions: boxes.chosen(),
          signature,
        };
        if (!changesPermissions() && body.title === role.title && body.description === role.description) {
          return t('admin.roles.nothing');
        }
        proposed = proposal();
        const path = `/api/roles/${encodeURIComponent(role.name)}${proposed ? '/proposals' : ''}`;
        return attempt(() => request(proposed ? 'POST' : 'PUT', path, body));
      },
    });
    if (!ok) return;
    await reload();
    if (proposed) {
      notice(
        message,
        'success',
        t('admin.roles.proposed', { role: name }),
        ' ',
        changesLink('roles-changes'),
      );
    } else {
      notice(message, 'success', t('admin.roles.changed', { role: name }));
    }
  };

  function rolesTable(roles: Role[], waiting: Set<string>): HTMLElement {
    const rows = roles.map((role) => {
      const held = me.roles.includes(role.name);
      const change = h(
        'button',
        { type: 'button', 'data-action': 'change', 'data-role': role.name },
        t('admin.roles.change'),
      );
      change.addEventListener('click', () => void edit(role));
      return h(
        'tr',
        { 'data-role': role.name },
        h(
          'td',
          {},
          h('strong', { class: 'admin-name' }, role.title),
          h('span', { class: 'admin-sub' }, role.name),
          role.description ? h('span', { class: 'admin-sub' }, role.description) : null,
          waiting.has(role.name) ? h('span', { class: 'admin-badges' }, pendingBadge()) : null,
        ),
        h(
          'td',
          {},
          h(
            'span',
            { class: 'admin-badges' },
            ...(role.permissions.length > 0
              ? role.permissions.map((p) => permissionBadge(me, p))
              : [h('span', { class: 'note' }, t('admin.roles.none'))]),
          ),
        ),
        h('td', { class: 'actions' }, held ? h('span', { class: 'note' }, t('admin.roles.held')) : change),
      );
    });
    return table(
      { id: 'roles' },
      [t('admin.roles.role'), t('admin.roles.permissions'), t('admin.roles.actions')],
      rows,
    );
  }

  show(
    container,
    pageHead(t('admin.roles.title')),
    h('p', { class: 'note admin-intro' }, t('admin.roles.intro')),
    me.plant.dualControl ? h('p', { class: 'note admin-intro' }, t('admin.roles.introDual')) : null,
    message,
    listing,
  );
  await reload();
}
