import { t } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { api, type Schemas } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { PERMISSION_LABELS } from './permissionLabels.ts';

/**
 * What the pages read of a role as `GET /api/roles` gives it (a role held by a user but not
 * listed to this administrator is known by its name alone).
 */
export type Role = Pick<Schemas['Role'], 'name' | 'title' | 'description' | 'permissions'>;

/**
 * A change of access proposed for a second administrator (dual control, A3). The API document
 * leaves what is proposed open (an object); this names what the page reads of it: a role's
 * definition, or a user's roles and those they had before.
 */
export interface SecurityChange extends Omit<Schemas['SecurityChange'], 'proposal'> {
  proposal: {
    title?: string;
    description?: string;
    permissions?: string[];
    roles?: string[];
    before?: string[];
  };
}

/** The changes of access, pending or decided, as the page reads them. */
export async function loadSecurityChanges(status?: 'pending'): Promise<SecurityChange[]> {
  const { changes } = await api.get('/api/security-changes', { query: { status } });
  return changes as SecurityChange[];
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

/** Whether a permission is GMP approval authority at this plant. */
export const isGmpApproval = (me: Me, permission: string): boolean =>
  (me.plant.gmpApproval as readonly string[]).includes(permission);

/** The permissions among these that are GMP approval authority. */
export const gmpApproval = (me: Me, permissions: readonly string[]): string[] =>
  permissions.filter((p) => isGmpApproval(me, p));

/** The permissions the roles grant together. */
export const permissionsOf = (roles: readonly Role[], names: readonly string[]): string[] => [
  ...new Set(roles.filter((r) => names.includes(r.name)).flatMap((r) => r.permissions)),
];

/** A permission as a badge, in words, GMP approval authority marked. */
export function PermissionBadge(props: { me: Me; permission: string }) {
  const gmp = isGmpApproval(props.me, props.permission);
  return (
    <span class={gmp ? 'badge admin-warn' : 'badge'} data-permission={props.permission}>
      {permissionLabel(props.permission)}
      {gmp ? ` · ${t('admin.permission.gmp')}` : ''}
    </span>
  );
}

export interface Choice {
  value: string;
  title: string;
  note?: string;
  mark?: string;
  disabled?: boolean;
}

/** Ticks to choose from, as a fieldset; `ticked` are the values ticked, in the order of `items`. */
export function Choices(props: {
  id: string;
  legend: string;
  items: Choice[];
  ticked: readonly string[];
  onChange(ticked: string[]): void;
  /** What is wrong with the choice, told at `${id}-error` (among the children). */
  invalid?: string | null;
  children?: ComponentChildren;
}) {
  const toggle = (value: string, on: boolean) => {
    const next = new Set(props.ticked);
    if (on) next.add(value);
    else next.delete(value);
    props.onChange(props.items.map((i) => i.value).filter((v) => next.has(v)));
  };
  return (
    <fieldset
      id={props.id}
      class="admin-roles"
      aria-invalid={props.invalid ? 'true' : undefined}
      aria-describedby={props.invalid ? `${props.id}-error` : undefined}
    >
      <legend>{props.legend}</legend>
      {props.items.map((item) => (
        <label key={item.value} class="choice">
          <input
            type="checkbox"
            name="choice"
            value={item.value}
            checked={props.ticked.includes(item.value)}
            disabled={item.disabled}
            onChange={(event) => toggle(item.value, event.currentTarget.checked)}
          />
          <span>
            <strong>{item.title}</strong>
            {item.note ? <small>{item.note}</small> : null}
            {item.mark ? <small class="admin-mark">{item.mark}</small> : null}
          </span>
        </label>
      ))}
      {props.children}
    </fieldset>
  );
}

/** The targets of changes waiting for a second administrator: role names and user ids. */
export async function pendingTargets(me: Me): Promise<Set<string>> {
  if (!me.plant.dualControl || !me.permissions.includes('roles.manage')) return new Set();
  const changes = await loadSecurityChanges('pending');
  return new Set(changes.map((c) => c.target));
}

/** A mark that a change waits for a second administrator (decided under Security changes). */
export const PendingBadge = () => (
  <span class="badge admin-warn admin-pending">{t('admin.dual.pending')}</span>
);

/** A link to where changes waiting for a second administrator are decided. */
export const ChangesLink = (props: { id: string }) => (
  <a href="#/security-changes" id={props.id} class="admin-link">
    {t('admin.dual.open')}
  </a>
);
