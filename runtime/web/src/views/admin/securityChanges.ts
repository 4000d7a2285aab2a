import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { Problem, request } from '../../api.ts';
import { formatInstant } from '../../time.ts';
import type { Me } from '../shell.ts';
import {
  difference,
  gmpApproval,
  permissionLabel,
  permissionName,
  permissionsOf,
  type Role,
  type SecurityChange,
} from './access.ts';
import { notice, pageHead, problemText, signatureDialog, signedAct, table } from './common.ts';

interface Person {
  id: string;
  username: string;
  printedName: string;
  roles: string[];
}

/** What the page knows to describe a change: the roles and people as they are now. */
interface Now {
  roles: Role[];
  people: Map<string, Person>;
}

/**
 * Changes of access under dual control (A3, B5): those waiting first, each with exactly what it
 * changes against how things are now, who proposed it, when and why; a second administrator
 * approves or rejects it with their signature. Decided changes follow, with who decided and when.
 */
export async function securityChangesView(container: HTMLElement, me: Me): Promise<void> {
  const message = h('p', { class: 'message', id: 'changes-notice', hidden: true });
  const count = h('span', { class: 'badge admin-warn', id: 'changes-count', hidden: true });
  const waitingList = h('div', { id: 'changes-pending', class: 'admin-changes-list' });
  const decidedList = h('div', { id: 'changes-decided' });

  const reload = async () => {
    const [{ changes }, { roles }, users] = await Promise.all([
      request<{ changes: SecurityChange[] }>('GET', '/api/security-changes'),
      request<{ roles: Role[] }>('GET', '/api/roles'),
      me.permissions.includes('users.manage')
        ? request<{ users: Person[] }>('GET', '/api/users').then((r) => r.users)
        : [],
    ]);
    const now: Now = { roles, people: new Map(users.map((u) => [u.id, u])) };
    const pending = changes.filter((c) => c.status === 'pending');
    const decided = changes
      .filter((c) => c.status !== 'pending')
      .sort((a, b) => (b.decidedAt ?? '').localeCompare(a.decidedAt ?? ''));
    count.textContent = t('admin.changes.waiting', { count: pending.length });
    count.hidden = pending.length === 0;
    show(
      waitingList,
      ...(pending.length > 0
        ? pending.map((c) => pendingCard(c, now))
        : [h('p', { class: 'empty', id: 'changes-none-pending' }, t('admin.changes.nonePending'))]),
    );
    show(decidedList, decidedTable(decided, now));
  };

  const personName = (now: Now, id: string | null) => {
    const person = id ? now.people.get(id) : undefined;
    return person ? `${person.printedName} (${person.username})` : (id ?? '—');
  };
  const what = (change: SecurityChange, now: Now) => {
    if (change.kind === 'user-roles')
      return t('admin.changes.grant', { who: personName(now, change.target) });
    const role = now.roles.find((r) => r.name === change.target);
    return role
      ? t('admin.changes.role', { role: `${role.title} (${role.name})` })
      : t('admin.changes.newRole', { role: `${change.proposal.title ?? ''} (${change.target})` });
  };

  /** Why this person may not decide the change, or null when they may. */
  const barred = (change: SecurityChange): string | null => {
    if (change.proposedBy === me.user.id) return t('admin.changes.ownProposal');
    if (change.kind === 'role' && me.roles.includes(change.target)) {
      return t('admin.changes.holdsRole', { role: change.target });
    }
    if (change.kind === 'user-roles' && change.target === me.user.id) return t('admin.changes.ownRoles');
    return null;
  };

  /** Exactly what a change does, against the role or the user as they are now. */
  function changeDetail(change: SecurityChange, now: Now): HTMLElement {
    const item = (kind: 'added' | 'removed' | 'changed', label: string, text: string, gmp = false) =>
      h(
        'li',
        { class: `diff-${kind}`, 'data-diff': kind },
        h(
          'div',
          { class: 'admin-diff-item' },
          h('span', { class: `badge diff-${kind}` }, label),
          h('span', {}, text),
          gmp ? h('span', { class: 'badge admin-warn' }, t('admin.permission.gmp')) : null,
        ),
      );
    const permissionItem = (kind: 'added' | 'removed', permission: string) =>
      item(
        kind,
        t(kind === 'added' ? 'admin.changes.added' : 'admin.changes.removed'),
        permissionName(permission),
        me.plant.gmpApproval.includes(permission),
      );
    const items: HTMLElement[] = [];
    let compared: string;
    let brings: HTMLElement | null = null;
    if (change.kind === 'role') {
      const role = now.roles.find((r) => r.name === change.target);
      compared = t('admin.changes.comparedWithNow');
      const next = { title: '', description: '', permissions: [], ...change.proposal };
      for (const field of ['title', 'description'] as const) {
        if (role && role[field] !== next[field]) {
          items.push(
            item(
              'changed',
              t('admin.diff.changed'),
              t(field === 'title' ? 'admin.changes.titleChange' : 'admin.changes.descriptionChange', {
                from: role[field] || '—',
                to: next[field] || '—',
              }),
            ),
          );
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
        ...added.map((r) => item('added', t('admin.changes.granted'), title(r))),
        ...removed.map((r) => item('removed', t('admin.changes.revoked'), title(r))),
      );
      const kept = permissionsOf(
        now.roles,
        wanted.filter((r) => held.includes(r)),
      );
      const gmp = gmpApproval(me, permissionsOf(now.roles, added)).filter((p) => !kept.includes(p));
      brings = h(
        'p',
        { class: gmp.length > 0 ? 'admin-gmp' : 'note', 'data-gmp': gmp.join(' ') },
        gmp.length > 0
          ? t('admin.changes.gmpBrought', {
              permissions: gmp.map(permissionName).join(', '),
            })
          : t('admin.changes.noGmp'),
      );
    }
    return h(
      'div',
      { class: 'admin-change-detail' },
      h('p', { class: 'admin-sub' }, compared),
      items.length > 0
        ? h('ul', { class: 'admin-diff' }, ...items)
        : h('p', { class: 'note' }, t('admin.changes.noDifference')),
      brings,
    );
  }

  const proposedLine = (change: SecurityChange, now: Now) =>
    h(
      'p',
      { class: 'admin-proposed' },
      t('admin.changes.proposedBy', {
        name: personName(now, change.proposedBy),
        at: formatInstant(change.proposedAt),
      }),
    );
  const reasonLine = (reason: string | null) =>
    h(
      'p',
      { class: reason ? 'admin-reason' : 'note' },
      reason ? t('admin.changes.reason', { reason }) : t('admin.changes.noReason'),
    );

  function pendingCard(change: SecurityChange, now: Now): HTMLElement {
    const why = barred(change);
    const button = (decision: 'approve' | 'reject') => {
      const b = h(
        'button',
        {
          type: 'button',
          class: decision === 'approve' ? 'primary' : undefined,
          'data-action': decision,
          disabled: why !== null,
          'aria-describedby': why ? `change-${change.id}-barred` : undefined,
        },
        t(decision === 'approve' ? 'admin.changes.approve' : 'admin.changes.reject'),
      );
      b.addEventListener('click', () => void decide(change, now, decision));
      return b;
    };
    return h(
      'section',
      { class: 'panel admin-change', 'data-change': change.id, 'data-kind': change.kind },
      h('h3', {}, what(change, now)),
      changeDetail(change, now),
      proposedLine(change, now),
      reasonLine(change.proposalReason),
      h('div', { class: 'admin-row-actions' }, button('approve'), button('reject')),
      why ? h('p', { class: 'note admin-barred', id: `change-${change.id}-barred` }, why) : null,
    );
  }

  function decidedTable(decided: SecurityChange[], now: Now): HTMLElement {
    if (decided.length === 0) return h('p', { class: 'empty' }, t('admin.changes.noneDecided'));
    const rows = decided.map((change) =>
      h(
        'tr',
        { 'data-change': change.id, 'data-status': change.status },
        h('td', {}, h('strong', {}, what(change, now))),
        h(
          'td',
          {},
          h(
            'span',
            { class: 'admin-sub' },
            t('admin.changes.byAt', {
              name: personName(now, change.proposedBy),
              at: formatInstant(change.proposedAt),
            }),
          ),
          change.proposalReason
            ? h('span', { class: 'admin-sub' }, t('admin.changes.reason', { reason: change.proposalReason }))
            : null,
        ),
        h(
          'td',
          {},
          h(
            'span',
            { class: change.status === 'approved' ? 'badge admin-ok' : 'badge danger' },
            t(change.status === 'approved' ? 'admin.changes.statusApproved' : 'admin.changes.statusRejected'),
          ),
          h(
            'span',
            { class: 'admin-sub' },
            t('admin.changes.byAt', {
              name: personName(now, change.decidedBy),
              at: formatInstant(change.decidedAt),
            }),
          ),
          change.decisionReason
            ? h('span', { class: 'admin-sub' }, t('admin.changes.reason', { reason: change.decisionReason }))
            : null,
        ),
      ),
    );
    return table(
      { id: 'changes-decided-table' },
      [t('admin.changes.what'), t('admin.changes.proposal'), t('admin.changes.decision')],
      rows,
    );
  }

  async function decide(change: SecurityChange, now: Now, decision: 'approve' | 'reject'): Promise<void> {
    message.hidden = true;
    const approve = decision === 'approve';
    const subject = what(change, now);
    const signed = signedAct(async (signature) => {
      await request('POST', `/api/security-changes/${change.id}/${decision}`, { signature });
    }, refusal);
    const ok = await signatureDialog({
      id: `${decision}-change-dialog`,
      title: t(approve ? 'admin.changes.approveTitle' : 'admin.changes.rejectTitle'),
      act: t(approve ? 'admin.changes.approveAct' : 'admin.changes.rejectAct', { what: subject }),
      meaning: approve ? 'Approved' : 'Rejected',
      me,
      content: [changeDetail(change, now)],
      reason: approve ? 'optional' : 'required',
      confirm: t('admin.sign.submit'),
      send: signed.send,
    });
    if (!ok) return;
    await reload();
    const refused = signed.refused();
    if (refused) notice(message, 'error', refusal(refused));
    else
      notice(
        message,
        'success',
        t(approve ? 'admin.changes.approved' : 'admin.changes.rejected', { what: subject }),
      );
  }

  show(
    container,
    pageHead(t('admin.changes.title'), count),
    h('p', { class: 'note admin-intro' }, t('admin.changes.intro')),
    me.plant.dualControl ? null : h('p', { class: 'note admin-intro' }, t('admin.changes.off')),
    message,
    h('h2', { class: 'admin-section' }, t('admin.changes.pending')),
    waitingList,
    h('h2', { class: 'admin-section' }, t('admin.changes.decided')),
    decidedList,
  );
  await reload();
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
