import type { Meaning } from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { Problem } from '../../api.ts';
import { api, type Schemas } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { formatInstant } from '../../time.ts';
import { useDialog } from '../../ui/ModalForm.tsx';
import { SignatureDialog, type SignatureInput } from '../../ui/SignatureDialog.tsx';
import { statusLabel } from '../records/status.ts';
import { who, type Dossier } from './dossier.ts';

type Reopening = Schemas['Reopening'];

/** How each act's signature dialog asks: its fields, meaning, words and whether a reason is required. */
const DIALOGS = {
  reopen: {
    fields: 'reopen',
    meaning: 'Reopened',
    title: 'reopen.title',
    act: 'reopen.act',
    reason: 'required',
  },
  approve: {
    fields: 'reapprove',
    meaning: 'Approved',
    title: 'reopen.approveTitle',
    act: 'reopen.approveAct',
    reason: 'none',
  },
} as const satisfies Record<
  string,
  { fields: string; meaning: Meaning; title: MessageKey; act: MessageKey; reason: 'required' | 'none' }
>;

/** What a refused signature tells the person, with the fields it names. */
const refusal = (error: unknown): string => {
  if (!(error instanceof Problem)) return t('common.error', { detail: (error as Error).message });
  return error.errors.length > 0
    ? `${error.detail} ${error.errors.map((e) => e.message).join('; ')}`
    : error.detail;
};

/**
 * Reopening a closed record (D4), for whoever may: a signature meaning Reopened, with a reason;
 * and, on a reopened record, the new approval that closes it again. `done` hears what to tell the
 * person once the server took it.
 */
export function ReopenActions(props: {
  me: Me;
  record: Dossier['record'];
  reopenings: Reopening[];
  done(message: string): void;
}) {
  const { me, record } = props;
  const [dialog, open] = useDialog();
  const may = (p: Me['permissions'][number]) => me.permissions.includes(p);
  const reopenable = record.status === 'closed' && may('records.reopen');
  // Whoever reopened it does not approve it again: the server refuses it, so it is not offered.
  const reopener = props.reopenings.find((r) => r.closedBy === null)?.by.id;
  const approvable = record.status === 'reopened' && may('records.approve') && reopener !== me.user.id;
  if (!reopenable && !approvable) return null;

  const sign = (kind: keyof typeof DIALOGS): void => {
    let message = '';
    const send = async (input: SignatureInput): Promise<string | null> => {
      if (kind === 'reopen' && !input.reason) return t('admin.reasonMissing');
      try {
        if (kind === 'reopen') {
          await api.post('/api/records/{record}/reopenings', {
            path: { record: record.id },
            body: { reason: input.reason ?? '', password: input.password },
          });
          message = t('reopen.done', { number: record.number });
        } else {
          await api.post('/api/records/{id}/signatures', {
            path: { id: record.id },
            body: { meaning: 'Approved', password: input.password },
          });
          message = t('reopen.approved', { number: record.number });
        }
        return null;
      } catch (error) {
        return refusal(error);
      }
    };
    const asked = DIALOGS[kind];
    open((close) => (
      <SignatureDialog
        id={`${asked.fields}-dialog`}
        fields={asked.fields}
        wording="record"
        meaning={asked.meaning}
        title={t(asked.title, { number: record.number })}
        act={t(asked.act)}
        signer={me.user}
        reason={asked.reason}
        reasonHint={t('reopen.reasonHint')}
        sign={send}
        onClose={close}
      />
    ))
      .then((done) => {
        if (done) props.done(message);
      })
      .catch(reportError);
  };
  return (
    <>
      {reopenable ? (
        <button type="button" id="record-reopen" onClick={() => sign('reopen')}>
          {t('reopen.button')}
        </button>
      ) : null}
      {approvable ? (
        <button type="button" id="record-reapprove" class="primary" onClick={() => sign('approve')}>
          {t('reopen.approve')}
        </button>
      ) : null}
      {dialog}
    </>
  );
}

/** The record's reopenings (D4): who, when, from which status and why, and what closed it again. */
export function Reopenings({ list }: { list: Reopening[] }) {
  if (list.length === 0) return null;
  return (
    <section id="record-reopenings">
      <h2>{t('reopen.history')}</h2>
      <ul class="signatures reopenings">
        {list.map((r) => (
          <li key={r.id} data-reopening={r.id}>
            <strong>
              {t('reopen.entry', {
                who: who(r.by),
                at: formatInstant(r.at),
                status: statusLabel(r.previousStatus),
                reason: r.reason,
              })}
            </strong>
            <span class={r.closedBy ? 'note' : 'badge reopened'}>
              {r.closedBy
                ? t('reopen.closedAgain', {
                    who: `${r.closedBy.printedName} (${r.closedBy.username})`,
                    at: formatInstant(r.closedBy.at),
                  })
                : t('reopen.open', { who: who(r.by) })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
