import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { openFile } from '../../api.ts';
import { api } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { mountPage } from '../../app/page.tsx';
import { formatInstant } from '../../time.ts';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { Notice, type NoticeState } from '../../ui/Message.tsx';
import { ModalForm, useDialog } from '../../ui/ModalForm.tsx';
import { attempt, problemText } from '../../ui/problem.ts';
import { SignatureDialog, type SignatureInput } from '../../ui/SignatureDialog.tsx';
import { Table } from '../../ui/Table.tsx';
import { PageHead, signedAct } from '../admin/common.tsx';
import { LotBadge, lotQuantity, type LotDetail } from './lotStatus.tsx';

type Transaction = LotDetail['transactions'][number];
type LabelKind = 'lot' | 'containers';
type LabelSize = 'A6' | 'A7' | 'printer';

const KIND_KEYS: Record<Transaction['kind'], MessageKey> = {
  receipt: 'lots.kind.receipt',
  issue: 'lots.kind.issue',
  return: 'lots.kind.return',
  adjustment: 'lots.kind.adjustment',
  destruction: 'lots.kind.destruction',
  sample: 'lots.kind.sample',
};
const SIZE_KEYS: Record<LabelSize, MessageKey> = {
  A6: 'lots.size.A6',
  A7: 'lots.size.A7',
  printer: 'lots.size.printer',
};

const loadLot = (number: string): Promise<LotDetail> => api.get('/api/lots/{number}', { path: { number } });

/** The route loads this module when a lot is first opened and calls this, its default export. */
export default async function showLot(container: HTMLElement, me: Me, number: string): Promise<void> {
  mountPage(container, <LotPage me={me} initial={await loadLot(number)} />);
}

/** Sampling a lot in quarantine: the quantity taken from each container the sampling plan picks. */
function SampleDialog(props: { lot: LotDetail; onClose(done: boolean): void }) {
  const { lot } = props;
  const [quantity, setQuantity] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (): Promise<string | null> => {
    const amount = Number(quantity);
    if (quantity.trim() === '' || !(amount > 0)) {
      setError(t('lots.notANumber'));
      return t('lots.notANumber');
    }
    setError(null);
    return attempt(() =>
      api.post('/api/lots/{number}/status', {
        path: { number: lot.lotNumber },
        body: { status: 'sampled', version: lot.version, sampleQuantity: amount },
      }),
    );
  };
  return (
    <ModalForm
      id="sample-dialog"
      title={t('lots.sampleTitle', { lot: lot.lotNumber })}
      confirm={t('lots.sampleConfirm')}
      submit={submit}
      onClose={props.onClose}
    >
      <p>{t('lots.sampleText')}</p>
      <Field id="sample-quantity" label={t('lots.sampleQuantity', { unit: lot.unit })} error={error}>
        <input
          type="number"
          inputMode="decimal"
          min="0"
          step="any"
          {...fieldProps('sample-quantity', error)}
          value={quantity}
          onInput={(event) => setQuantity(event.currentTarget.value)}
        />
      </Field>
    </ModalForm>
  );
}

/**
 * One lot: its status, dates, containers with their stock and every transaction. Whoever may
 * receive samples it; QA releases or rejects it with an electronic signature (F3, B1); anyone who
 * reads it prints its labels, from the status the server holds when they are printed.
 */
export function LotPage(props: { me: Me; initial: LotDetail }) {
  const { me } = props;
  const [lot, setLot] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [labelKind, setLabelKind] = useState<LabelKind>('lot');
  const [labelSize, setLabelSize] = useState<LabelSize>('A6');
  const [dialog, open] = useDialog();
  const may = (permission: Me['permissions'][number]) => me.permissions.includes(permission);
  const undecided = lot.status === 'quarantine' || lot.status === 'sampled';

  const sample = async () => {
    setNotice(null);
    if (!(await open((close) => <SampleDialog lot={lot} onClose={close} />))) return;
    setLot(await loadLot(lot.lotNumber));
    setNotice({ kind: 'success', content: t('lots.sampled', { lot: lot.lotNumber }) });
  };

  const decide = async (status: 'released' | 'rejected') => {
    setNotice(null);
    const releasing = status === 'released';
    const sent = signedAct(async (signature: SignatureInput) => {
      await api.post('/api/lots/{number}/status', {
        path: { number: lot.lotNumber },
        body: { status, version: lot.version, ...signature },
      });
    });
    const done = await open((close) => (
      <SignatureDialog
        id={releasing ? 'release-dialog' : 'reject-dialog'}
        act={t(releasing ? 'lots.releaseAct' : 'lots.rejectAct', { lot: lot.lotNumber })}
        meaning={releasing ? 'Released' : 'Rejected'}
        wording="record"
        signer={me.user}
        reason={releasing ? 'optional' : 'required'}
        {...(releasing ? {} : { reasonHint: t('lots.rejectHint') })}
        sign={async (signature) =>
          // A rejection needs its reason (B3): asked for before anything is sent.
          releasing || signature.reason ? sent.send(signature) : t('admin.reasonMissing')
        }
        onClose={close}
      />
    ));
    if (!done) return;
    const refused = sent.refused();
    if (refused) return setNotice({ kind: 'error', content: problemText(refused) });
    setLot(await loadLot(lot.lotNumber));
    setNotice({
      kind: 'success',
      content: t(releasing ? 'lots.released' : 'lots.rejected', { lot: lot.lotNumber }),
    });
  };

  const printLabels = () => {
    setNotice(null);
    const query = new URLSearchParams({ kind: labelKind, size: labelSize, format: 'pdf' });
    openFile(`/api/lots/${encodeURIComponent(lot.lotNumber)}/labels?${query.toString()}`).catch(
      (error: unknown) => setNotice({ kind: 'error', content: problemText(error) }),
    );
  };

  const facts: [MessageKey, string][] = [
    ['lots.material', `${lot.material} · ${lot.materialName}`],
    ['lots.supplier', t('lots.supplierOf', { supplier: lot.supplierCode, supplierLot: lot.supplierLot })],
    ['lots.receivedAt', formatInstant(lot.receivedAt)],
    ['lots.expiry', lot.expiryDate],
    ['lots.retest', lot.retestDate ?? t('lots.noRetest')],
    ['lots.locationAt', lot.location],
    ['lots.stock', lotQuantity(lot.stock, lot.unit)],
  ];
  return (
    <>
      <p>
        <a class="admin-link" href="#/materials">
          {t('lots.backToList')}
        </a>
      </p>
      <PageHead title={lot.lotNumber}>
        <LotBadge status={lot.status} />
      </PageHead>
      <Notice id="lot-notice" notice={notice} />
      <dl class="lot-facts" id="lot-facts">
        {facts.map(([key, value]) => (
          <div key={key}>
            <dt>{t(key)}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="admin-row-actions lot-actions">
        {may('materials.receive') && lot.status === 'quarantine' ? (
          <button type="button" id="lot-sample" onClick={() => void sample().catch(reportError)}>
            {t('lots.sample')}
          </button>
        ) : null}
        {may('materials.release') && undecided ? (
          <>
            <button
              type="button"
              class="primary"
              id="lot-release"
              onClick={() => void decide('released').catch(reportError)}
            >
              {t('lots.release')}
            </button>
            <button type="button" id="lot-reject" onClick={() => void decide('rejected').catch(reportError)}>
              {t('lots.reject')}
            </button>
          </>
        ) : null}
      </div>
      <div class="filters lot-labels">
        <select
          id="label-kind"
          aria-label={t('lots.labels')}
          value={labelKind}
          onChange={(event) => setLabelKind(event.currentTarget.value as LabelKind)}
        >
          <option value="lot">{t('lots.labelLot')}</option>
          <option value="containers">{t('lots.labelContainers')}</option>
        </select>
        <select
          id="label-size"
          aria-label={t('lots.labelSize')}
          value={labelSize}
          onChange={(event) => setLabelSize(event.currentTarget.value as LabelSize)}
        >
          {(Object.keys(SIZE_KEYS) as LabelSize[]).map((size) => (
            <option key={size} value={size}>
              {t(SIZE_KEYS[size])}
            </option>
          ))}
        </select>
        <button type="button" id="lot-labels" onClick={printLabels}>
          {t('lots.labels')}
        </button>
      </div>
      <p class="note">{t('lots.labelsNote')}</p>
      <h2>{t('lots.containers')}</h2>
      <Table
        id="lot-containers"
        rows={lot.containers}
        rowKey={(c) => c.id}
        rowProps={(c) => ({ 'data-container': c.code })}
        columns={[
          {
            heading: t('lots.containerCode'),
            cell: (c) => (
              <>
                <strong class="admin-name">{c.code}</strong>
                <span class="admin-sub">{t('lots.container', { number: c.number })}</span>
              </>
            ),
          },
          { heading: t('lots.stock'), cell: (c) => lotQuantity(c.stock, lot.unit) },
        ]}
      />
      <h2>{t('lots.transactions')}</h2>
      <Table
        id="lot-transactions"
        rows={lot.transactions}
        rowKey={(x) => x.id}
        rowProps={(x) => ({ 'data-kind': x.kind })}
        columns={[
          { heading: t('lots.when'), cell: (x) => formatInstant(x.at) },
          { heading: t('lots.kind'), cell: (x) => t(KIND_KEYS[x.kind]) },
          { heading: t('lots.containerCode'), cell: (x) => x.containerCode ?? '—' },
          { heading: t('lots.quantityColumn'), cell: (x) => lotQuantity(x.quantity, lot.unit) },
          { heading: t('lots.by'), cell: (x) => x.by },
          { heading: t('lots.reasonColumn'), cell: (x) => x.reason ?? '—' },
        ]}
      />
      {dialog}
    </>
  );
}
