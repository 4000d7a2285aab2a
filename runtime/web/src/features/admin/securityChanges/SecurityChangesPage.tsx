import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import {
  difference,
  gmpApproval,
  isGmpApproval,
  loadSecurityChanges,
  permissionLabel,
  permissionName,
  permissionsOf,
  type Role,
  type SecurityChange,
} from '../access.tsx';
import { Problem } from '../../../api.ts';
import { api, type Schemas } from '../../../api/client.ts';
import { formatInstant } from '../../../time.ts';
import { Table } from '../../../ui/Table.tsx';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { useDialog } from '../../../ui/ModalForm.tsx';
import { problemText } from '../../../ui/problem.ts';
import { SignatureDialog } from '../../../ui/SignatureDialog.tsx';
import { PageHead, signedAct } from '../common.tsx';

type Person = Schemas['User'];

/** What the page shows: the changes, and the roles and people as they are now to describe them. */
export interface ChangesData {
  changes: SecurityChange[];
  roles: Role[];
  people: Map<string, Person>;
}

export async function loadChanges(me: Me): Promise<ChangesData> {
  const [changes, { roles }, users] = await Promise.all([
    loadSecurityChanges(),
    api.get('/api/roles'),
    me.permissions.includes('users.manage') ? api.get('/api/users').then((r) => r.users) : [],
  ]);
  return { changes, roles, people: new Map(users.map((u) => [u.id, u])) };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showSecurityChanges(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <SecurityChangesPage me={me} initial={await loadChanges(me)} />);
}

const personName = (now: ChangesData, id: string | null) => {
  const person = id ? now.people.get(id) : undefined;
  return person ? `${person.printedName} (${person.username})` : (id ?? '—');
};

const what = (change: SecurityChange, now: ChangesData) => {
  if (change.kind === 'user-roles') return t('admin.changes.grant', { who: personName(now, change.target) });
  const role = now.roles.find((r) => r.name === change.target);
  return role
    ? t('admin.changes.role', { role: `${role.title} (${role.name})` })
    : t('admin.changes.newRole', { role: `${change.proposal.title ?? ''} (${change.target})` });
};

/**
 * Changes of access under dual control (A3, B5): those waiting first, each with exactly what it
 * changes against how things are now, who proposed it, when and why; a second administrator
 * approves or rejects it with their signature. Decided changes follow, with who decided and when.
 */
export function SecurityChangesPage(props: { me: Me; initial: ChangesData }) {
  const { me } = props;
  const [now, setNow] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [dialog, open] = useDialog();
  const pending = now.changes.filter((c) => c.status === 'pending');
  const decided = now.changes
    .filter((c) => c.status !== 'pending')
    .sort((a, b) => (b.decidedAt ?? '').localeCompare(a.decidedAt ?? ''));

  /** Why this person may not decide the change, or null when they may. */
  const barred = (change: SecurityChange): string | null => {
    if (change.proposedBy === me.user.id) return t('admin.changes.ownProposal');
    if (change.kind === 'role' && me.roles.includes(change.target)) {
      return t('admin.changes.holdsRole', { role: change.target });
    }
    if (change.kind === 'user-roles' && change.target === me.user.id) return t('admin.changes.ownRoles');
    return null;
  };

  const decide = async (change: SecurityChange, decision: 'approve' | 'reject'): Promise<void> => {
    setNotice(null);
    const approve = decision === 'approve';
    const subject = what(change, now);
    const signed = signedAct(async (signature) => {
      const options = { path: { id: change.id }, body: { signature } };
      if (approve) await api.post('/api/security-changes/{id}/approve', options);
      else await api.post('/api/security-changes/{id}/reject', options);
    }, refusal);
    const ok = await open((close) => (
      <SignatureDialog
        id={`${decision}-change-dialog`}
        title={t(approve ? 'admin.changes.approveTitle' : 'admin.changes.rejectTitle')}
        act={t(approve ? 'admin.changes.approveAct' : 'admin.changes.rejectAct', { what: subject })}
        meaning={approve ? 'Approved' : 'Rejected'}
        wording="admin"
        signer={me.user}
        reason={approve ? 'optional' : 'required'}
        confirm={t('admin.sign.submit')}
        sign={signed.send}
        onClose={close}
      >
        <ChangeDetail me={me} change={change} now={now} />
      </SignatureDialog>
    ));
    if (!ok) return;
    setNow(await loadChanges(me));
    const refused = signed.refused();
    setNotice(
      refused
        ? { kind: 'error', content: refusal(refused) }
        : {
            kind: 'success',
            content: t(approve ? 'admin.changes.approved' : 'admin.changes.rejected', { what: subject }),
          },
    );
  };

  return (
    <>
      <PageHead title={t('admin.changes.title')}>
        <span class="badge admin-warn" id="changes-count" hidden={pending.length === 0}>
          {t('admin.changes.waiting', { count: pending.length })}
        </span>
      </PageHead>
      <p class="note admin-intro">{t('admin.changes.intro')}</p>
      {me.plant.dualControl ? null : <p class="note admin-intro">{t('admin.changes.off')}</p>}
      <Notice id="changes-notice" notice={notice} />
      <h2 class="admin-section">{t('admin.changes.pending')}</h2>
      <div id="changes-pending" class="admin-changes-list">
        {pending.length > 0 ? (
          pending.map((change) => {
            const why = barred(change);
            const button = (decision: 'approve' | 'reject') => (
              <button
                type="button"
                class={decision === 'approve' ? 'primary' : undefined}
                data-action={decision}
                disabled={why !== null}
                aria-describedby={why ? `change-${change.id}-barred` : undefined}
                onClick={() => {
                  decide(change, decision).catch(reportError);
                }}
              >
                {t(decision === 'approve' ? 'admin.changes.approve' : 'admin.changes.reject')}
              </button>
            );
            return (
              <section
                key={change.id}
                class="panel admin-change"
                data-change={change.id}
                data-kind={change.kind}
              >
                <h3>{what(change, now)}</h3>
                <ChangeDetail me={me} change={change} now={now} />
                <p class="admin-proposed">
                  {t('admin.changes.proposedBy', {
                    name: personName(now, change.proposedBy),
                    at: formatInstant(change.proposedAt),
                  })}
                </p>
                <p class={change.proposalReason ? 'admin-reason' : 'note'}>
                  {change.proposalReason
                    ? t('admin.changes.reason', { reason: change.proposalReason })
                    : t('admin.changes.noReason')}
                </p>
                <div class="admin-row-actions">
                  {button('approve')}
                  {button('reject')}
                </div>
                {why ? (
                  <p class="note admin-barred" id={`change-${change.id}-barred`}>
                    {why}
                  </p>
                ) : null}
              </section>
            );
          })
        ) : (
          <p class="empty" id="changes-none-pending">
            {t('admin.changes.nonePending')}
          </p>
        )}
      </div>
      <h2 class="admin-section">{t('admin.changes.decided')}</h2>
      <div id="changes-decided">
        {decided.length === 0 ? (
          <p class="empty">{t('admin.changes.noneDecided')}</p>
        ) : (
          <Table
            id="changes-decided-table"
            rows={decided}
            rowKey={(change) => change.id}
            rowProps={(change) => ({ 'data-change': change.id, 'data-status': change.status })}
            columns={[
              { heading: t('admin.changes.what'), cell: (change) => <strong>{what(change, now)}</strong> },
              {
                heading: t('admin.changes.proposal'),
                cell: (change) => (
                  <>
                    <span class="admin-sub">
                      {t('admin.changes.byAt', {
                        name: personName(now, change.proposedBy),
                        at: formatInstant(change.proposedAt),
                      })}
                    </span>
                    {change.proposalReason ? (
                      <span class="admin-sub">
                        {t('admin.changes.reason', { reason: change.proposalReason })}
                      </span>
                    ) : null}
                  </>
                ),
              },
              {
                heading: t('admin.changes.decision'),
                cell: (change) => (
                  <>
                    <span class={change.status === 'approved' ? 'badge admin-ok' : 'badge danger'}>
                      {t(
                        change.status === 'approved'
                          ? 'admin.changes.statusApproved'
                          : 'admin.changes.statusRejected',
                      )}
                    </span>
                    <span class="admin-sub">
                      {t('admin.changes.byAt', {
                        name: personName(now, change.decidedBy),
                        at: formatInstant(change.decidedAt),
                      })}
                    </span>
                    {change.decisionReason ? (
                      <span class="admin-sub">
                        {t('admin.changes.reason', { reason: change.decisionReason })}
                      </span>
                    ) : null}
                  </>
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

type Kind = 'added' | 'removed' | 'changed';

/** Exactly what a change does, against the role or the user as they are now. */
function ChangeDetail(props: { me: Me; change: SecurityChange; now: ChangesData }) {
  const { me, change, now } = props;
  const items: { kind: Kind; label: string; text: string; gmp?: boolean }[] = [];
  const permissionItem = (kind: 'added' | 'removed', permission: string) => ({
    kind,
    label: t(kind === 'added' ? 'admin.changes.added' : 'admin.changes.removed'),
    text: permissionName(permission),
    gmp: isGmpApproval(me, permission),
  });
  let compared: string;
  let gmp: string[] | null = null;
  if (change.kind === 'role') {
    const role = now.roles.find((r) => r.name === change.target);
    compared = t('admin.changes.comparedWithNow');
    const next = { title: '', description: '', permissions: [], ...change.proposal };
    for (const field of ['title', 'description'] as const) {
      if (role && role[field] !== next[field]) {
        items.push({
          kind: 'changed',
          label: t('admin.diff.changed'),
          text: t(field === 'title' ? 'admin.changes.titleChange' : 'admin.changes.descriptionChange', {
            from: role[field] || '—',
            to: next[field] || '—',
          }),
        });
      }
    }
    const { added, removed } = difference(role?.permissions ?? [], next.permissions);
    items.push(
      ...added.map((p) => permissionItem('added', p)),
      ...removed.map((p) => permissionItem('removed', p)),
    );
  } else {
    const person = now.people.get(change.target);
    const held = person?.roles ?? change.proposal.before ?? [];
    compared = t('admin.changes.comparedWithUser', { who: personName(now, change.target) });
    const wanted = change.proposal.roles ?? [];
    const { added, removed } = difference(held, wanted);
    const title = (name: string) => {
      const role = now.roles.find((r) => r.name === name);
      return role ? `${role.title} (${name})` : name;
    };
    items.push(
      ...added.map((r) => ({ kind: 'added' as const, label: t('admin.changes.granted'), text: title(r) })),
      ...removed.map((r) => ({
        kind: 'removed' as const,
        label: t('admin.changes.revoked'),
        text: title(r),
      })),
    );
    const kept = permissionsOf(
      now.roles,
      wanted.filter((r) => held.includes(r)),
    );
    gmp = gmpApproval(me, permissionsOf(now.roles, added)).filter((p) => !kept.includes(p));
  }
  return (
    <div class="admin-change-detail">
      <p class="admin-sub">{compared}</p>
      {items.length > 0 ? (
        <ul class="admin-diff">
          {items.map((item, i) => (
            <li key={i} class={`diff-${item.kind}`} data-diff={item.kind}>
              <div class="admin-diff-item">
                <span class={`badge diff-${item.kind}`}>{item.label}</span>
                <span>{item.text}</span>
                {item.gmp ? <span class="badge admin-warn">{t('admin.permission.gmp')}</span> : null}
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <p class="note">{t('admin.changes.noDifference')}</p>
      )}
      {gmp === null ? null : (
        <p class={gmp.length > 0 ? 'admin-gmp' : 'note'} data-gmp={gmp.join(' ')}>
          {gmp.length > 0
            ? t('admin.changes.gmpBrought', { permissions: gmp.map(permissionName).join(', ') })
            : t('admin.changes.noGmp')}
        </p>
      )}
    </div>
  );
}

/** A refused decision in the person's language (the server's detail is in English). */
function refusal(error: unknown): string {
  if (!(error instanceof Problem)) return problemText(error);
  if (error.status === 409) return t('admin.changes.alreadyDecided');
  if (error.status === 403) return t('admin.changes.notAllowed');
  if (error.status === 401) return t('admin.changes.passwordWrong');
  if (error.status === 423) return t('admin.changes.locked');
  if (error.errors.some((e) => e.keyword === 'segregation')) {
    const said = [error.detail, ...error.errors.map((e) => e.message)].join(' ');
    const pairs = [
      ...new Set(
        [...said.matchAll(/([a-z]+\.[a-z]+) with ([a-z]+\.[a-z]+)/g)].map(
          (m) => `${permissionLabel(m[1]!)} + ${permissionLabel(m[2]!)}`,
        ),
      ),
    ];
    return t('admin.changes.segregation', { pairs: pairs.join('; ') });
  }
  return problemText(error);
}
