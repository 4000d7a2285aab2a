import { t } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ChangesLink,
  Choices,
  difference,
  gmpApproval,
  PendingBadge,
  permissionName,
  permissionsOf,
  pendingTargets,
  type Role,
} from '../access.tsx';
import { api } from '../../../api/client.ts';
import { formatInstant } from '../../../time.ts';
import { Table } from '../../../ui/Table.tsx';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { ReasonDialog, useDialog } from '../../../ui/ModalForm.tsx';
import { attempt } from '../../../ui/problem.ts';
import { SignatureDialog } from '../../../ui/SignatureDialog.tsx';
import { PageHead } from '../common.tsx';
import { CreateUserForm } from './CreateUserForm.tsx';
import { roleChoices, rolesLegend, who, type User, type WithPassword } from './users.ts';

export interface UsersData {
  users: User[];
  /** The roles to grant, for whoever may grant them; null for who may not. */
  roles: Role[] | null;
  /** Users with a change of roles waiting for a second administrator. */
  pending: Set<string>;
}

export async function loadUsers(me: Me): Promise<UsersData> {
  const mayGrant = me.permissions.includes('roles.manage');
  const [{ users }, roles, pending] = await Promise.all([
    api.get('/api/users'),
    mayGrant ? api.get('/api/roles').then((r) => r.roles) : null,
    pendingTargets(me),
  ]);
  return { users, roles, pending };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showUsers(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <UsersPage me={me} initial={await loadUsers(me)} />);
}

type HandOver = WithPassword & { why: 'created' | 'reset' };

/**
 * The administrator's users (A1, A3, A6): who may sign in with which roles; creating a user and
 * granting roles are e-signed, deactivating and resetting need a reason, and a one-time password is
 * shown once, to be handed over. Under dual control a grant of GMP approval authority is proposed
 * for a second administrator instead.
 */
export function UsersPage(props: { me: Me; initial: UsersData }) {
  const { me, initial } = props;
  const mayGrant = me.permissions.includes('roles.manage');
  const [users, setUsers] = useState(initial.users);
  const [waiting, setWaiting] = useState(initial.pending);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [handOver, setHandOver] = useState<HandOver | null>(null);
  const [adding, setAdding] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const [dialog, open] = useDialog();
  const [knownRoles] = useState<Role[]>(
    () =>
      initial.roles ??
      [...new Set(initial.users.flatMap((u) => u.roles))]
        .sort()
        .map((name) => ({ name, title: name, description: '', permissions: [] })),
  );
  const roleTitle = (name: string) => knownRoles.find((r) => r.name === name)?.title ?? name;

  const reload = async () => {
    const [fresh, pending] = await Promise.all([api.get('/api/users'), pendingTargets(me)]);
    setUsers(fresh.users);
    setWaiting(pending);
  };
  // The list is current when the message says it is done.
  const done = async (...content: ComponentChildren[]) => {
    await reload();
    setNotice({ kind: 'success', content });
  };
  // The form, once shown, starts at its first field.
  useEffect(() => {
    if (adding) document.getElementById('user-username')?.focus();
  }, [adding]);
  const closeForm = () => {
    setAdding(false);
    setFormKey((k) => k + 1);
  };

  const act = async (user: User, action: string) => {
    setNotice(null);
    const name = who(user);
    if (action === 'deactivate' || action === 'reactivate') {
      const deactivate = action === 'deactivate';
      const ok = await open((close) => (
        <ReasonDialog
          id={`${action}-dialog`}
          title={t(deactivate ? 'admin.users.deactivateTitle' : 'admin.users.reactivateTitle', {
            who: name,
          })}
          text={t(deactivate ? 'admin.users.deactivateText' : 'admin.users.reactivateText')}
          confirm={t(deactivate ? 'admin.users.deactivateConfirm' : 'admin.users.reactivateConfirm')}
          send={(reason) =>
            attempt(() =>
              api.post(deactivate ? '/api/users/{id}/deactivate' : '/api/users/{id}/reactivate', {
                path: { id: user.id },
                body: { reason },
              }),
            )
          }
          onClose={close}
        />
      ));
      if (ok)
        await done(t(deactivate ? 'admin.users.deactivated' : 'admin.users.reactivated', { who: name }));
    } else if (action === 'reset') {
      let reset: WithPassword | null = null;
      const ok = await open((close) => (
        <ReasonDialog
          id="reset-dialog"
          title={t('admin.users.resetTitle', { who: name })}
          text={t('admin.users.resetText')}
          confirm={t('admin.users.resetConfirm')}
          send={(reason) =>
            attempt(async () => {
              reset = await api.post('/api/users/{id}/reset-password', {
                path: { id: user.id },
                body: { reason },
              });
            })
          }
          onClose={close}
        />
      ));
      if (ok && reset) {
        setHandOver({ ...(reset as WithPassword), why: 'reset' });
        await reload();
      }
    } else if (action === 'roles') {
      let proposed = false;
      const ok = await open((close) => (
        <RolesDialog
          me={me}
          user={user}
          roles={knownRoles}
          sent={(asProposal) => (proposed = asProposal)}
          onClose={close}
        />
      ));
      if (ok && proposed)
        await done(t('admin.users.rolesProposed', { who: name }), ' ', <ChangesLink id="users-changes" />);
      else if (ok) await done(t('admin.users.rolesChanged', { who: name }));
    }
  };

  const button = (user: User, action: string, label: string) => (
    <button
      type="button"
      data-action={action}
      data-user={user.username}
      onClick={() => {
        act(user, action).catch(reportError);
      }}
    >
      {label}
    </button>
  );

  return (
    <>
      <PageHead title={t('admin.users.title')}>
        <button type="button" class="primary" id="user-new" hidden={adding} onClick={() => setAdding(true)}>
          {t('admin.users.new')}
        </button>
      </PageHead>
      <p class="note admin-intro">{t('admin.users.intro')}</p>
      {mayGrant && me.plant.dualControl ? <p class="note admin-intro">{t('admin.users.dualNote')}</p> : null}
      <div id="users-hand-over">
        {handOver ? <OneTimePassword result={handOver} done={() => setHandOver(null)} /> : null}
      </div>
      <Notice id="users-notice" notice={notice} />
      <CreateUserForm
        key={formKey}
        me={me}
        roles={knownRoles}
        hidden={!adding}
        open={open}
        cancel={closeForm}
        created={async (result) => {
          closeForm();
          setHandOver({ ...result, why: 'created' });
          await reload();
        }}
      />
      <div id="users-list">
        {users.length === 0 ? (
          <p class="empty">{t('admin.users.empty')}</p>
        ) : (
          <Table
            id="users"
            rows={users}
            rowKey={(user) => user.id}
            rowProps={(user) => ({ 'data-user': user.username, class: user.active ? undefined : 'inactive' })}
            columns={[
              {
                heading: t('admin.users.user'),
                cell: (user) => (
                  <>
                    <strong class="admin-name">{user.printedName}</strong>
                    <span class="admin-sub">{user.username}</span>
                    {user.email ? <span class="admin-sub">{user.email}</span> : null}
                  </>
                ),
              },
              {
                heading: t('admin.users.rolesColumn'),
                cell: (user) => (
                  <span class="admin-badges">
                    {user.roles.length > 0 ? (
                      user.roles.map((r) => (
                        <span key={r} class="badge">
                          {roleTitle(r)}
                        </span>
                      ))
                    ) : (
                      <span class="note">{t('admin.users.noRoles')}</span>
                    )}
                    {waiting.has(user.id) ? <PendingBadge /> : null}
                  </span>
                ),
              },
              {
                heading: t('admin.users.state'),
                class: 'state',
                cell: (user) => (
                  <>
                    <span class="admin-badges">
                      {user.active ? (
                        <span class="badge admin-ok">{t('admin.users.active')}</span>
                      ) : (
                        <span class="badge admin-muted">{t('admin.users.inactive')}</span>
                      )}
                      {user.locked ? <span class="badge danger">{t('admin.users.locked')}</span> : null}
                      {user.mustChangePassword ? (
                        <span class="badge admin-warn">{t('admin.users.oneTimePending')}</span>
                      ) : null}
                    </span>
                    <span class="admin-sub">
                      {t('admin.users.passwordChanged', { at: formatInstant(user.passwordChangedAt) })}
                    </span>
                  </>
                ),
              },
              {
                heading: t('admin.users.actions'),
                class: 'actions',
                cell: (user) => (
                  <div class="admin-row-actions">
                    {user.id === me.user.id ? (
                      <span class="note">{t('admin.users.self')}</span>
                    ) : (
                      <>
                        {mayGrant && user.active ? button(user, 'roles', t('admin.users.roles')) : null}
                        {user.active ? button(user, 'reset', t('admin.users.reset')) : null}
                        {user.active
                          ? button(user, 'deactivate', t('admin.users.deactivate'))
                          : button(user, 'reactivate', t('admin.users.reactivate'))}
                      </>
                    )}
                  </div>
                ),
              },
            ]}
          />
        )}
      </div>
      {dialog}
    </>
  );
}

/**
 * The roles of a user, changed with a signature (A3); under dual control, ticking a role that brings
 * GMP approval authority turns signing into proposing, for a second administrator to approve.
 */
function RolesDialog(props: {
  me: Me;
  user: User;
  roles: Role[];
  /** Called as the change is sent: whether it goes as a proposal. */
  sent(proposal: boolean): void;
  onClose(done: boolean): void;
}) {
  const { me, user } = props;
  const [chosen, setChosen] = useState(user.roles);
  const name = who(user);
  /** The GMP approval authority a grant of these roles brings, which dual control puts to a second administrator. */
  const gmp = me.plant.dualControl
    ? gmpApproval(me, permissionsOf(props.roles, difference(user.roles, chosen).added))
    : [];
  const proposal = gmp.length > 0;
  return (
    <SignatureDialog
      id="roles-dialog"
      title={t('admin.users.rolesTitle', { who: name })}
      act={t('admin.users.rolesAct', { who: name })}
      meaning={proposal ? 'Proposed' : 'Approved'}
      wording="admin"
      signer={me.user}
      reason="optional"
      confirm={t(proposal ? 'admin.sign.propose' : 'admin.sign.submit')}
      sign={(signature) =>
        attempt(async () => {
          props.sent(proposal);
          const options = { path: { id: user.id }, body: { roles: chosen, signature } };
          if (proposal) await api.post('/api/users/{id}/roles/proposals', options);
          else await api.put('/api/users/{id}/roles', options);
        })
      }
      onClose={props.onClose}
    >
      <Choices
        id={`roles-${user.username}`}
        legend={rolesLegend()}
        items={roleChoices(props.roles)}
        ticked={chosen}
        onChange={setChosen}
      />
      <p class="note" id="roles-dialog-dual" hidden={!me.plant.dualControl}>
        {proposal
          ? t('admin.users.needsSecond', { permissions: gmp.map(permissionName).join(', ') })
          : t('admin.users.dualNote')}
      </p>
    </SignatureDialog>
  );
}

/** The one-time password, shown this once, to be handed to the person (A6). */
function OneTimePassword(props: { result: HandOver; done(): void }) {
  const { result } = props;
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.parentElement?.scrollIntoView({ block: 'nearest' }), [result]);
  return (
    <section ref={ref} class="panel admin-otp" role="status" aria-live="polite">
      <h2>
        {t(result.why === 'created' ? 'admin.otp.created' : 'admin.otp.reset', { who: who(result.user) })}
      </h2>
      <p>{t('admin.otp.handOver')}</p>
      <output class="admin-otp-value" id="one-time-password">
        {result.oneTimePassword}
      </output>
      <p class="note">{t('admin.otp.once')}</p>
      <button type="button" class="primary" id="hand-over-done" onClick={props.done}>
        {t('admin.otp.done')}
      </button>
    </section>
  );
}
