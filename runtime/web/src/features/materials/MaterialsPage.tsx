import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { api, type Schemas } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { mountPage } from '../../app/page.tsx';
import { Notice, type NoticeState } from '../../ui/Message.tsx';
import { useDialog } from '../../ui/ModalForm.tsx';
import { problemText } from '../../ui/problem.ts';
import { Table } from '../../ui/Table.tsx';
import { PageHead } from '../admin/common.tsx';
import { ReceiveDialog } from './ReceiveDialog.tsx';
import {
  LOT_STATUS_KEYS,
  LOT_STATUSES,
  LotBadge,
  lotQuantity,
  type Lot,
  type LotDetail,
  type LotStatus,
} from './lotStatus.tsx';

type Material = Schemas['Material'];
type Supplier = Material['suppliers'][number];

const TYPE_KEYS: Record<Material['type'], MessageKey> = {
  api: 'materials.type.api',
  excipient: 'materials.type.excipient',
  primary_packaging: 'materials.type.primary_packaging',
  printed_packaging: 'materials.type.printed_packaging',
  intermediate: 'materials.type.intermediate',
  finished_product: 'materials.type.finished_product',
};
const SUPPLIER_KEYS: Record<Supplier['status'], MessageKey> = {
  approved: 'materials.supplier.approved',
  conditional: 'materials.supplier.conditional',
  blocked: 'materials.supplier.blocked',
};
const SUPPLIER_TONES: Record<Supplier['status'], string> = {
  approved: 'admin-ok',
  conditional: 'admin-warn',
  blocked: 'danger',
};

interface Filter {
  material: string;
  status: LotStatus | '';
}

export interface MaterialsData {
  materials: Material[];
  lots: Lot[];
}

const loadLots = async (filter: Filter): Promise<Lot[]> =>
  (
    await api.get('/api/lots', {
      query: {
        ...(filter.material && { material: filter.material }),
        ...(filter.status && { status: filter.status }),
      },
    })
  ).lots;

export async function loadMaterials(): Promise<MaterialsData> {
  const [{ materials }, lots] = await Promise.all([
    api.get('/api/materials'),
    loadLots({ material: '', status: '' }),
  ]);
  return { materials, lots };
}

/** The route loads this module when the page is first opened and calls this, its default export. */
export default async function showMaterials(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <MaterialsPage me={me} initial={await loadMaterials()} />);
}

/**
 * The materials with their approved suppliers, and the lots received, by material and status: the
 * status as the colour its labels print in. Whoever may receive receives a lot here (F3).
 */
export function MaterialsPage(props: { me: Me; initial: MaterialsData }) {
  const { materials } = props.initial;
  const [lots, setLots] = useState(props.initial.lots);
  const [filter, setFilter] = useState<Filter>({ material: '', status: '' });
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [dialog, open] = useDialog();
  const mayReceive = props.me.permissions.includes('materials.receive');

  const filterBy = async (next: Filter) => {
    setFilter(next);
    try {
      setLots(await loadLots(next));
    } catch (error) {
      setNotice({ kind: 'error', content: problemText(error) });
    }
  };

  const receive = async () => {
    setNotice(null);
    let received: LotDetail | null = null;
    const done = await open((close) => (
      <ReceiveDialog materials={materials} received={(lot) => (received = lot)} onClose={close} />
    ));
    if (!done || !received) return;
    const lot: LotDetail = received;
    setLots(await loadLots(filter));
    setNotice({
      kind: 'success',
      content: (
        <>
          {t('lots.received', { lot: lot.lotNumber })}{' '}
          <a class="admin-link" href={`#/lot/${encodeURIComponent(lot.lotNumber)}`}>
            {t('lots.open')}
          </a>
        </>
      ),
    });
  };

  return (
    <>
      <PageHead title={t('materials.title')} />
      <p class="note admin-intro">{t('materials.intro')}</p>
      <Notice id="materials-notice" notice={notice} />
      {materials.length === 0 ? (
        <p class="empty" id="materials-empty">
          {t('materials.empty')}
        </p>
      ) : (
        <Table
          id="materials"
          rows={materials}
          rowKey={(m) => m.id}
          rowProps={(m) => ({ 'data-material': m.code })}
          columns={[
            {
              heading: t('materials.code'),
              cell: (m) => (
                <>
                  <strong class="admin-name">{m.code}</strong>
                  <span class="admin-sub">{m.name}</span>
                </>
              ),
            },
            { heading: t('materials.type'), cell: (m) => t(TYPE_KEYS[m.type]) },
            { heading: t('materials.unit'), cell: (m) => m.baseUnit },
            {
              heading: t('materials.suppliers'),
              cell: (m) =>
                m.suppliers.length === 0 ? (
                  <span class="note">{t('materials.noSuppliers')}</span>
                ) : (
                  <ul class="plain-list">
                    {m.suppliers.map((s) => (
                      <li key={s.code} data-supplier={s.code}>
                        <span class="admin-name">{`${s.code} · ${s.name}`}</span>
                        <span class={`badge ${SUPPLIER_TONES[s.status]}`}>{t(SUPPLIER_KEYS[s.status])}</span>
                      </li>
                    ))}
                  </ul>
                ),
            },
          ]}
        />
      )}
      <PageHead title={t('lots.title')}>
        {mayReceive ? (
          <button
            type="button"
            class="primary"
            id="lot-receive"
            disabled={materials.length === 0}
            onClick={() => void receive().catch(reportError)}
          >
            {t('lots.receive')}
          </button>
        ) : null}
      </PageHead>
      <div class="filters lot-filters">
        <select
          id="lot-material"
          aria-label={t('lots.filterMaterial')}
          value={filter.material}
          onChange={(event) => void filterBy({ ...filter, material: event.currentTarget.value })}
        >
          <option value="">{t('lots.allMaterials')}</option>
          {materials.map((m) => (
            <option key={m.code} value={m.code}>{`${m.code} · ${m.name}`}</option>
          ))}
        </select>
        <select
          id="lot-status"
          aria-label={t('lots.filterStatus')}
          value={filter.status}
          onChange={(event) =>
            void filterBy({ ...filter, status: event.currentTarget.value as LotStatus | '' })
          }
        >
          <option value="">{t('lots.allStatuses')}</option>
          {LOT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(LOT_STATUS_KEYS[s])}
            </option>
          ))}
        </select>
      </div>
      {lots.length === 0 ? (
        <p class="empty" id="lots-empty">
          {t('lots.empty')}
        </p>
      ) : (
        <Table
          id="lots"
          rows={lots}
          rowKey={(l) => l.id}
          rowProps={(l) => ({ 'data-lot': l.lotNumber, 'data-status': l.status })}
          columns={[
            {
              heading: t('lots.lot'),
              cell: (l) => (
                <a class="admin-link" href={`#/lot/${encodeURIComponent(l.lotNumber)}`}>
                  {l.lotNumber}
                </a>
              ),
            },
            {
              heading: t('lots.material'),
              cell: (l) => (
                <>
                  <span class="admin-name">{l.material}</span>
                  <span class="admin-sub">{l.materialName}</span>
                </>
              ),
            },
            { heading: t('lots.status'), class: 'state', cell: (l) => <LotBadge status={l.status} /> },
            { heading: t('lots.stock'), cell: (l) => lotQuantity(l.stock, l.unit) },
            { heading: t('lots.expiry'), cell: (l) => <span class="admin-date">{l.expiryDate}</span> },
          ]}
        />
      )}
      {dialog}
    </>
  );
}
