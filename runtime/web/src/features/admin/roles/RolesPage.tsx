import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import {
  ChangesLink,
  Choices,
  difference,
  PendingBadge,
  PermissionBadge,
  permissionLabel,
  isGmpApproval,
  pendingTargets,
  type Role,
} from '../access.tsx';
import { api } from '../../../api/client.ts';
import { Table } from '../../../ui/Table.tsx';
import { mountPage } from '../../../app/page.tsx';
import type { Me, Permission } from '../../../app/me.ts';
import { Field, fieldProps } from '../../../ui/Field.tsx';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { useDialog } from '../../../ui/ModalForm.tsx';
import { attempt } from '../../../ui/problem.ts';
import { SignatureDialog } from '../../../ui/SignatureDialog.tsx';
import { PageHead } from '../common.tsx';
import { PERMISSION_LABELS } from '../permissionLabels.ts';

export interface RolesData {
  roles: Role[];
  /** Roles with a change waiting for a second administrator. */
  pending: Set<string>;
}

export async function loadRoles(me: Me): Promise<RolesData> {
  const [{ roles }, pending] = await Promise.all([api.get('/api/roles'), pendingTargets(me)]);
  return { roles, pending };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showRoles(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <RolesPage me={me} initial={await loadRoles(me)} />);
}

/**
 * The roles and what each may do (A2, A3): changing a role is e-signed; under dual control a change
 * of its permissions is proposed, for a second administrator to approve. Nobody changes a role
 * they hold.
 */
export function RolesPage(props: { me: Me; initial: RolesData }) {
  const { me } = props;
  const [data, setData] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [dialog, open] = useDialog();

  const edit = async (role: Role) => {
    setNotice(null);
    const name = `${role.title} (${role.name})`;
    let proposed = false;
    const ok = await open((close) => (
      <RoleDialog me={me} role={role} sent={(asProposal) => (proposed = asProposal)} onClose={close} />
    ));
    if (!ok) return;
    setData(await loadRoles(me));
    setNotice(
      proposed
        ? {
            kind: 'success',
            content: [t('admin.roles.proposed', { role: name }), ' ', <ChangesLink id="roles-changes" />],
          }
        : { kind: 'success', content: t('admin.roles.changed', { role: name }) },
    );
  };

  return (
    <>
      <PageHead title={t('admin.roles.title')} />
      <p class="note admin-intro">{t('admin.roles.intro')}</p>
      {me.plant.dualControl ? <p class="note admin-intro">{t('admin.roles.introDual')}</p> : null}
      <Notice id="roles-notice" notice={notice} />
      <div id="roles-list">
        <Table
          id="roles"
          rows={data.roles}
          rowKey={(role) => role.name}
          rowProps={(role) => ({ 'data-role': role.name })}
          columns={[
            {
              heading: t('admin.roles.role'),
              cell: (role) => (
                <>
                  <strong class="admin-name">{role.title}</strong>
                  <span class="admin-sub">{role.name}</span>
                  {role.description ? <span class="admin-sub">{role.description}</span> : null}
                  {data.pending.has(role.name) ? (
                    <span class="admin-badges">
                      <PendingBadge />
                    </span>
                  ) : null}
                </>
              ),
            },
            {
              heading: t('admin.roles.permissions'),
              cell: (role) => (
                <span class="admin-badges">
                  {role.permissions.length > 0 ? (
                    role.permissions.map((p) => <PermissionBadge key={p} me={me} permission={p} />)
                  ) : (
                    <span class="note">{t('admin.roles.none')}</span>
                  )}
                </span>
              ),
            },
            {
              heading: t('admin.roles.actions'),
              class: 'actions',
              cell: (role) =>
                me.roles.includes(role.name) ? (
                  <span class="note">{t('admin.roles.held')}</span>
                ) : (
                  <button
                    type="button"
                    data-action="change"
                    data-role={role.name}
                    onClick={() => {
                      edit(role).catch(reportError);
                    }}
                  >
                    {t('admin.roles.change')}
                  </button>
                ),
            },
          ]}
        />
      </div>
      {dialog}
    </>
  );
}

/** A role's title, description and permissions, changed with a signature, or proposed under dual control. */
function RoleDialog(props: {
  me: Me;
  role: Role;
  sent(proposal: boolean): void;
  onClose(done: boolean): void;
}) {
  const { me, role } = props;
  const name = `${role.title} (${role.name})`;
  const [title, setTitle] = useState(role.title);
  const [description, setDescription] = useState(role.description);
  // The ticks offer exactly the engine's permissions (PERMISSION_LABELS, held to the engine's list by a test).
  const [permissions, setPermissions] = useState<string[]>(role.permissions);
  const { added, removed } = difference(role.permissions, permissions);
  const changesPermissions = added.length + removed.length > 0;
  const proposal = me.plant.dualControl && changesPermissions;
  return (
    <SignatureDialog
      id="role-dialog"
      title={t('admin.roles.editTitle', { role: name })}
      act={t('admin.roles.act', { role: name })}
      meaning={proposal ? 'Proposed' : 'Approved'}
      wording="admin"
      signer={me.user}
      reason="optional"
      confirm={t(proposal ? 'admin.sign.propose' : 'admin.sign.submit')}
      sign={async (signature) => {
        const body = {
          title: title.trim(),
          description: description.trim(),
          permissions: permissions as Permission[],
          signature,
        };
        if (!changesPermissions && body.title === role.title && body.description === role.description) {
          return t('admin.roles.nothing');
        }
        props.sent(proposal);
        const options = { path: { name: role.name }, body };
        return attempt(() =>
          proposal ? api.post('/api/roles/{name}/proposals', options) : api.put('/api/roles/{name}', options),
        );
      }}
      onClose={props.onClose}
    >
      <Field id="role-title" label={t('admin.roles.titleField')}>
        <input
          type="text"
          autocomplete="off"
          maxLength={200}
          {...fieldProps('role-title', null)}
          value={title}
          onInput={(event) => setTitle(event.currentTarget.value)}
        />
      </Field>
      <Field id="role-description" label={t('admin.roles.descriptionField')}>
        <textarea
          rows={2}
          maxLength={1000}
          {...fieldProps('role-description', null)}
          value={description}
          onInput={(event) => setDescription(event.currentTarget.value)}
        />
      </Field>
      <Choices
        id="role-permissions"
        legend={t('admin.roles.permissionsLegend')}
        items={Object.keys(PERMISSION_LABELS).map((permission) => ({
          value: permission,
          title: permissionLabel(permission),
          note: permission,
          mark: isGmpApproval(me, permission) ? t('admin.permission.gmp') : undefined,
        }))}
        ticked={permissions}
        onChange={setPermissions}
      />
      <p class="note" id="role-dialog-dual" hidden={!me.plant.dualControl}>
        {t(proposal ? 'admin.roles.needsSecond' : 'admin.roles.direct')}
      </p>
    </SignatureDialog>
  );
}
