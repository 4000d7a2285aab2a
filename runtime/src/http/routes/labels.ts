import type { Engine, EquipmentView, LotDetail, Principal } from '@attest/engine';
import {
  labelsPdf,
  type EquipmentLabel,
  type Label,
  type LabelLanguage,
  type LabelPrinting,
  type LabelSize,
  type LotContent,
} from '../../printout/labels.ts';
import type { EquipmentStatus } from '../../printout/labelFaces.ts';
import { labelsZpl } from '../../printout/zpl.ts';
import { operation, type Reply } from '../operation.ts';
import { name, object, oneOf } from '../schema.ts';

const SIZES = ['A6', 'A7', 'printer'] as const;
const FORMATS = ['pdf', 'zpl'] as const;
const PDF = {
  type: 'string',
  contentMediaType: 'application/pdf',
  description: 'Labels, one a page',
} as const;
const ZPL = { type: 'string', description: 'ZPL II formats, one `^XA … ^XZ` a label' } as const;
const printed = {
  description: 'The labels, to open and print',
  content: { 'application/pdf': PDF, 'text/plain': ZPL },
};
const how = {
  size: oneOf(SIZES, 'A6 or A7 sheets, or the 100 × 50 mm roll of a label printer; A6 when left out'),
  format: oneOf(FORMATS, 'PDF, or ZPL for a Zebra printer (100 × 50 mm, English); PDF when left out'),
} as const;

/** The lot as its labels print it, from what the database holds now; released: who signed, when. */
function lotContent(lot: LotDetail): LotContent {
  const signature = lot.trail.find(
    (e) => e.type === 'signature.applied' && e.payload.signatureId === lot.signatureId,
  );
  return {
    material: { code: lot.material, name: lot.materialName },
    lotNumber: lot.lotNumber,
    supplierLot: lot.supplierLot,
    quantity: { amount: lot.stock, unit: lot.unit },
    receivedAt: lot.receivedAt,
    expiryDate: lot.expiryDate,
    retestDate: lot.retestDate,
    status: lot.status,
    released:
      lot.status === 'released' && signature
        ? {
            by: { username: String(signature.payload.signer), printedName: signature.actorName },
            at: signature.at,
          }
        : null,
  };
}

/** The engine's equipment status as a label words it; a dirty one names the batch it was last used for. */
function equipmentStatus(equipment: EquipmentView, lastBatch: string | null): EquipmentStatus {
  switch (equipment.status) {
    case 'clean':
      return { status: 'clean', cleanUntil: equipment.cleanUntil };
    case 'dirty':
      return { status: 'dirty', lastBatch };
    case 'in_use':
      return {
        status: 'in use',
        batch: equipment.inUse?.recordNumber ?? equipment.inUse?.instanceId ?? lastBatch ?? '',
      };
    case 'maintenance':
      return { status: 'under maintenance' };
    case 'out_of_service':
      return { status: 'out of service' };
  }
}

/**
 * Status labels of lots, their containers and equipment (F2, F3), always from the status the
 * database holds now, in the reader's language and the plant's time zone. Printing is not
 * recorded: a label says that the status on screen is the one that counts.
 */
export function labelOperations(engine: Engine) {
  async function print(
    principal: Principal,
    labels: Label[],
    query: { size?: LabelSize; format?: (typeof FORMATS)[number] },
    fileName: string,
  ): Promise<Reply & { status: 200 }> {
    const reader = await engine.identity.getUser(principal, principal.userId);
    const printing: LabelPrinting = {
      timeZone: engine.settings.plant.timeZone,
      language: reader.language === 'zh-CN' ? 'zh-CN' : ('en' satisfies LabelLanguage),
      printedAt: new Date().toISOString(),
      printedBy: { username: principal.username, printedName: principal.printedName },
    };
    // A file name holds only what every file system takes.
    const file = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
    if (query.format === 'zpl')
      return {
        status: 200,
        body: labelsZpl(labels, printing),
        contentType: 'text/plain; charset=utf-8',
        headers: { 'Content-Disposition': `attachment; filename="${file}.zpl"` },
      };
    const pdf = await labelsPdf(labels, {
      ...printing,
      size: query.size ?? 'A6',
      fontPath: engine.settings.printout.font,
    });
    // Inline: the browser opens it in a tab, from which it is printed.
    return {
      status: 200,
      body: pdf,
      contentType: 'application/pdf',
      headers: { 'Content-Disposition': `inline; filename="${file}.pdf"` },
    };
  }

  return [
    operation({
      id: 'lotLabels',
      method: 'get',
      path: '/api/lots/{number}/labels',
      tag: 'materials',
      summary: 'The status label of a lot, or one for each of its containers, as the lot stands now (F3)',
      description:
        'Anyone who may read the lot. The status band (QUARANTINE, RELEASED, …) is the one the database ' +
        'holds at this moment; a released lot’s labels name who released it and when.',
      access: 'session',
      params: object({ number: name('^[A-Z0-9][A-Z0-9._-]{1,59}$', 60, 'Lot number') }, ['number']),
      query: object(
        { kind: oneOf(['lot', 'containers'] as const, 'One label for the lot, or one a container'), ...how },
        [],
      ),
      responses: { 200: printed },
      problems: [404],
      handle: async ({ principal, params, query }) => {
        const lot = await engine.materials.lots.get(principal, params.number);
        const content = lotContent(lot);
        const labels: Label[] =
          query.kind === 'containers'
            ? lot.containers.map((c) => ({
                kind: 'container',
                lot: content,
                container: {
                  code: c.code,
                  number: c.number,
                  of: lot.containers.length,
                  quantity: { amount: c.stock, unit: lot.unit },
                },
              }))
            : [{ kind: 'lot', ...content }];
        return print(principal, labels, query, `${lot.lotNumber}-labels`);
      },
    }),
    operation({
      id: 'equipmentLabel',
      method: 'get',
      path: '/api/equipment/{code}/label',
      tag: 'equipment',
      summary: 'The status label of a piece of equipment as it stands now: clean until, dirty, in use (F2)',
      description:
        'Needs equipment.manage or audit.read; a dirty one’s label names the batch it was last used for.',
      access: 'session',
      params: object({ code: name('^[A-Z0-9][A-Z0-9._-]{1,39}$', 40, 'The equipment number, e.g. MX-01') }, [
        'code',
      ]),
      query: object(how, []),
      responses: { 200: printed },
      problems: [404],
      handle: async ({ principal, params, query }) => {
        const equipment = await engine.equipment.get(principal, params.code);
        const used = (await engine.equipment.logbook(principal, params.code)).findLast((e) => e.batch);
        const lastBatch = used?.batch ? (used.batch.recordNumber ?? used.batch.instanceId) : null;
        const label: EquipmentLabel = {
          kind: 'equipment',
          code: equipment.code,
          name: equipment.name,
          room: equipment.room,
          ...equipmentStatus(equipment, lastBatch),
        };
        return print(principal, [label], query, `${equipment.code}-label`);
      },
    }),
  ];
}
