import type {
  ContainerLabel,
  EquipmentLabel,
  LotContent,
  LotLabel,
  RoomLabel,
  SampleLabel,
} from '../../src/printout/labels.ts';

export const quinn = { username: 'quinn', printedName: 'Quinn Avery' };
export const olivia = { username: 'olivia', printedName: 'Olivia Chen' };

/** A lactose lot received on 24 November 2026 at 08:30 UTC (16:30 in Shanghai). */
export const lactose = (status: LotContent['status'] = 'quarantine'): LotContent => ({
  material: { code: 'EXC-0042', name: 'Lactose monohydrate, 200 mesh' },
  lotNumber: 'L-2026-0042',
  supplierLot: 'DFE-88123',
  quantity: { amount: 250, unit: 'kg' },
  receivedAt: '2026-11-24T08:30:00Z',
  expiryDate: '2028-10-31',
  retestDate: '2027-10-31',
  status,
  released: status === 'released' ? { by: quinn, at: '2026-12-01T02:15:00Z' } : null,
});

export const lotLabel = (status: LotContent['status'] = 'quarantine'): LotLabel => ({
  kind: 'lot',
  ...lactose(status),
});

export const containerLabels = (status: LotContent['status'] = 'quarantine'): ContainerLabel[] =>
  [1, 2, 3].map((number) => ({
    kind: 'container',
    lot: lactose(status),
    container: { code: `L-2026-0042-C${number}`, number, of: 3, quantity: { amount: 25, unit: 'kg' } },
  }));

export const sampleLabel = (): SampleLabel => ({
  kind: 'sample',
  lot: lactose('sampled'),
  sampleCode: 'S-2026-0042-1',
  container: 'L-2026-0042-C2',
  sampledAt: '2026-11-25T01:05:00Z',
  sampledBy: olivia,
});

export const equipmentLabels = (): EquipmentLabel[] => [
  {
    kind: 'equipment',
    code: 'GRN-01',
    name: 'High-shear granulator',
    room: 'R-104',
    status: 'clean',
    cleanUntil: '2026-12-09T10:00:00Z',
  },
  {
    kind: 'equipment',
    code: 'GRN-01',
    name: 'High-shear granulator',
    room: 'R-104',
    status: 'dirty',
    lastBatch: 'BR-2026-0007',
  },
  {
    kind: 'equipment',
    code: 'GRN-01',
    name: 'High-shear granulator',
    room: 'R-104',
    status: 'in use',
    batch: 'BR-2026-0008',
  },
  {
    kind: 'equipment',
    code: 'GRN-01',
    name: 'High-shear granulator',
    room: 'R-104',
    status: 'out of service',
  },
  {
    kind: 'equipment',
    code: 'GRN-01',
    name: 'High-shear granulator',
    room: 'R-104',
    status: 'under maintenance',
  },
];

export const roomLabels = (): RoomLabel[] => [
  { kind: 'room', code: 'R-104', name: 'Granulation room 1', status: 'cleared' },
  { kind: 'room', code: 'R-104', name: 'Granulation room 1', status: 'in use', batch: 'BR-2026-0008' },
  { kind: 'room', code: 'R-104', name: 'Granulation room 1', status: 'to clean', lastBatch: 'BR-2026-0008' },
];
