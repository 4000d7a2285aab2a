import { h } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { request } from '../../api.ts';
import type { Me } from '../shell.ts';
import { meaningLabel } from './common.ts';
import { PERMISSION_LABELS } from './permissionLabels.ts';

/** A role as `GET /api/roles` gives it. */
export interface Role {
  name: string;
  title: string;
  description: string;
  permissions: string[];
}

/** A change of access proposed for a second administrator (dual control, A3). */
export interface SecurityChange {
  id: string;
  kind: 'role' | 'user-roles';
  /** The role name, or the id of the user whose roles change. */
  target: string;
  proposal: {
    title?: string;
    description?: string;
    permissions?: string[];
    roles?: string[];
    before?: string[];
  };
  status: 'pending' | 'approved' | 'rejected';
  proposedBy: string;
  proposedAt: string;
  proposalReason: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

export const permissionLabel = (permission: string): string => {
  const key = PERMISSION_LABELS[permission];
  return key ? t(key) : permission;
};

/** A permission in words with its name, e.g. "Void records (records.void)". */
export const permissionName = (permission: string): string =>
  `${permissionLabel(permission)} (${permission})`;

/** What a change does to a list: what it adds and what it takes away. */
export const difference = (before: readonly string[], after: readonly string[]) => ({
  added: after.filter((x) => !before.includes(x)),
  removed: before.filter((x) => !after.includes(x)),
});

/** The permissions among these that are GMP approval authority. */
export const gmpApproval = (me: Me, permissions: readonly string[]): string[] =>
  permissions.filter((p) => me.plant.gmpApproval.includes(p));

/** The permissions the roles grant together. */
export const permissionsOf = (roles: readonly Role[], names: readonly string[]): string[] => [
  ...new Set(roles.filter((r) => names.includes(r.name)).flatMap((r) => r.permissions)),
];

/** A permission as a badge, in words, GMP approval authority marked. */
export function permissionBadge(me: Me, permission: string): HTMLElement {
  const gmp = me.plant.gmpApproval.includes(permission);
  return h(
    'span',
    { class: gmp ? 'badge admin-warn' : 'badge', 'data-permission': permission },
    permissionLabel(permission),
    gmp ? ` · ${t('admin.permission.gmp')}` : '',
  );
}

/** Ticks to choose from, as a fieldset, and which of them are ticked. */
export function choices(
  id: string,
  legend: string,
  items: { value: string; title: string; note?: string; mark?: string; disabled?: boolean }[],
  ticked: readonly string[],
) {
  const fieldset = h(
    'fieldset',
    { id, class: 'admin-roles' },
    h('legend', {}, legend),
    ...items.map((item) =>
      h(
        'label',
        { class: 'choice' },
        h('input', {
          type: 'checkbox',
          name: 'choice',
          value: item.value,
          checked: ticked.includes(item.value),
          disabled: item.disabled,
        }),
        h(
          'span',
          {},
          h('strong', {}, item.title),
          item.note ? h('small', {}, item.note) : null,
          item.mark ? h('small', { class: 'admin-mark' }, item.mark) : null,
        ),
      ),
    ),
  );
  const chosen = () =>
    [...fieldset.querySelectorAll<HTMLInputElement>('input[name=choice]:checked')].map((i) => i.value);
  return { fieldset, chosen };
}

/**
 * Switches an open signature dialog between signing an act and proposing it for a second
 * administrator (dual control, A3): the meaning shown and the button say which it is.
 */
export function signatureMode(id: string, proposal: boolean): void {
  const dialog = document.getElementById(id);
  const meaning = dialog?.querySelector(`#${id}-meaning`);
  if (meaning) {
    meaning.textContent = t('admin.sign.meaning', {
      meaning: meaningLabel(proposal ? 'Proposed' : 'Approved'),
    });
  }
  const confirm = dialog?.querySelector('[data-action=confirm]');
  if (confirm) confirm.textContent = t(proposal ? 'admin.sign.propose' : 'admin.sign.submit');
}

/** The targets of changes waiting for a second administrator: role names and user ids. */
export async function pendingTargets(me: Me): Promise<Set<string>> {
  if (!me.plant.dualControl || !me.permissions.includes('roles.manage')) return new Set();
  const { changes } = await request<{ changes: SecurityChange[] }>(
    'GET',
    '/api/security-changes?status=pending',
  );
  return new Set(changes.map((c) => c.target));
}

/** A mark that a change waits for a second administrator (decided under Security changes). */
export const pendingBadge = (): HTMLElement =>
  h('span', { class: 'badge admin-warn admin-pending' }, t('admin.dual.pending'));

/** A link to where changes waiting for a second administrator are decided. */
export const changesLink = (id: string): HTMLElement =>
  h('a', { href: '#/security-changes', id, class: 'admin-link' }, t('admin.dual.open'));
