import { InputError, type FieldError } from '@attest/engine';
import { encodableInCode128 } from './barcodes.ts';
import { LABEL_TEXTS, type LabelLanguage, type LabelTexts, type StatusWord } from './labelTexts.ts';
import { plantTime } from './plantTime.ts';

/** A person as labels name them: printed name and user id (A1). */
export interface LabelPerson {
  username: string;
  printedName: string;
}

export type LotStatus =
  'quarantine' | 'sampled' | 'released' | 'rejected' | 'expired' | 'recalled' | 'returned';

/** What every label of a lot prints of it. Instants are UTC; dates are the plant's `YYYY-MM-DD`. */
export interface LotContent {
  material: { code: string; name: string };
  lotNumber: string;
  supplierLot: string | null;
  quantity: { amount: number; unit: string };
  receivedAt: string;
  expiryDate: string | null;
  retestDate: string | null;
  status: LotStatus;
  /** Who released the lot and when; printed on a released lot's labels. */
  released: { by: LabelPerson; at: string } | null;
}

/** The label of a lot as a whole: its barcode and QR code carry the lot number. */
export interface LotLabel extends LotContent {
  kind: 'lot';
}

/** The label of one container of a lot: its barcode and QR code carry the container code. */
export interface ContainerLabel {
  kind: 'container';
  lot: LotContent;
  container: {
    code: string;
    /** Its place among the lot's containers: `number` of `of`. */
    number: number;
    of: number;
    /** What this container holds; the lot's quantity is printed without it. */
    quantity: { amount: number; unit: string } | null;
  };
}

/** The label of a QC sample: its barcode carries the sample code, or the lot number without one. */
export interface SampleLabel {
  kind: 'sample';
  lot: LotContent;
  sampleCode: string | null;
  /** The code of the container it was taken from. */
  container: string | null;
  sampledAt: string;
  sampledBy: LabelPerson;
}

export type EquipmentStatus =
  /** Clean until a moment (UTC), or null: clean until it is next used. */
  | { status: 'clean'; cleanUntil: string | null }
  | { status: 'dirty'; lastBatch: string | null }
  | { status: 'in use'; batch: string }
  | { status: 'out of service' }
  | { status: 'under maintenance' };

/** A piece of equipment's status label: its barcode and QR code carry the equipment code. */
export type EquipmentLabel = {
  kind: 'equipment';
  code: string;
  name: string;
  room: string | null;
} & EquipmentStatus;

export type RoomStatus =
  | { status: 'cleared' }
  | { status: 'in use'; batch: string }
  | { status: 'to clean'; lastBatch: string | null };

/** A room's status label, for its door: its barcode and QR code carry the room code. */
export type RoomLabel = { kind: 'room'; code: string; name: string } & RoomStatus;

export type Label = LotLabel | ContainerLabel | SampleLabel | EquipmentLabel | RoomLabel;

export interface LabelPrinting {
  /** The plant's IANA time zone: times print in it, with their offset from UTC. */
  timeZone: string;
  language: LabelLanguage;
  /** The moment the labels are printed (UTC) and who prints them. */
  printedAt: string;
  printedBy: LabelPerson;
}

/** A status band's colour and the colour of the words on it, dark on light and light on dark. */
export interface Band {
  fill: string;
  ink: string;
}

const YELLOW: Band = { fill: '#ffd21f', ink: '#000000' };
const GREEN: Band = { fill: '#5cb85c', ink: '#000000' };
const RED: Band = { fill: '#c8102e', ink: '#ffffff' };
const ORANGE: Band = { fill: '#f39c12', ink: '#000000' };
const BLUE: Band = { fill: '#8ec5ea', ink: '#000000' };
const GREY: Band = { fill: '#bdbdbd', ink: '#000000' };

/** GMP status colours: yellow waits, green goes, red stops. */
export const BANDS: Record<StatusWord, Band> = {
  quarantine: YELLOW,
  sampled: YELLOW,
  released: GREEN,
  rejected: RED,
  expired: RED,
  recalled: RED,
  returned: GREY,
  sample: BLUE,
  clean: GREEN,
  dirty: ORANGE,
  inUse: BLUE,
  outOfService: RED,
  underMaintenance: ORANGE,
  cleared: GREEN,
  toClean: ORANGE,
};

export interface LabelField {
  caption: string;
  value: string;
  /** The identity a person checks first, printed bold. */
  strong?: boolean;
}

/** A label as it prints, whatever it prints on: a PDF page or a Zebra printer. */
export interface LabelFace {
  word: StatusWord;
  status: string;
  /** The status word in English too, under the Chinese one. */
  statusInEnglish: string | null;
  /** The status's detail (`until …`, `used for …`) or what may be done with it. */
  note: string;
  band: Band;
  title: string;
  fields: LabelField[];
  /** What the Code 128 barcode and the QR code carry. */
  code: string;
  footer: string;
}

const EQUIPMENT_WORDS: Record<EquipmentStatus['status'], StatusWord> = {
  clean: 'clean',
  dirty: 'dirty',
  'in use': 'inUse',
  'out of service': 'outOfService',
  'under maintenance': 'underMaintenance',
};

const ROOM_WORDS: Record<RoomStatus['status'], StatusWord> = {
  cleared: 'cleared',
  'in use': 'inUse',
  'to clean': 'toClean',
};

/** Every fixed text of a catalogue, to ask a font whether it can print the labels in that language. */
export function catalogueText(texts: LabelTexts): string {
  return [
    ...Object.values(texts.status),
    ...Object.values(texts.use),
    ...Object.values(texts).filter((t): t is string => typeof t === 'string'),
    texts.containerOf(1, 2),
    texts.cleanUntil(''),
    texts.usedFor(''),
    texts.printed('', ''),
  ].join('');
}

/** A time on a label: the plant's time to the minute, with its offset from UTC. */
function labelTime(timeZone: string): (instant: string) => string {
  const at = plantTime(timeZone);
  return (instant) => at(instant).replace(/^(\S+ \d\d:\d\d):\d\d/, '$1');
}

const person = (p: LabelPerson) => `${p.printedName} (${p.username})`;

/** What each label prints, in the language given. */
export function labelFace(label: Label, printing: LabelPrinting): LabelFace {
  const texts = LABEL_TEXTS[printing.language];
  const at = labelTime(printing.timeZone);
  const quantity = (q: { amount: number; unit: string }) => `${q.amount} ${q.unit}`;
  const lotFields = (
    lot: LotContent,
    ownQuantity?: { amount: number; unit: string } | null,
  ): LabelField[] => [
    { caption: texts.material, value: lot.material.code },
    { caption: texts.lot, value: lot.lotNumber, strong: true },
    { caption: texts.supplierLot, value: lot.supplierLot ?? texts.none },
    { caption: texts.quantity, value: quantity(ownQuantity ?? lot.quantity) },
    { caption: texts.received, value: at(lot.receivedAt) },
    { caption: texts.expiry, value: lot.expiryDate ?? texts.none, strong: true },
    { caption: texts.retest, value: lot.retestDate ?? texts.none },
    ...(lot.status === 'released' && lot.released
      ? [
          { caption: texts.releasedBy, value: person(lot.released.by) },
          { caption: texts.releasedAt, value: at(lot.released.at) },
        ]
      : []),
  ];
  const face = (
    word: StatusWord,
    rest: { note?: string | null; title: string; fields: LabelField[]; code: string },
  ): LabelFace => ({
    word,
    status: texts.status[word],
    statusInEnglish: printing.language === 'en' ? null : LABEL_TEXTS.en.status[word],
    note: rest.note ?? texts.use[word],
    band: BANDS[word],
    title: rest.title,
    fields: rest.fields,
    code: rest.code,
    footer: `${texts.printed(at(printing.printedAt), person(printing.printedBy))} ${texts.screenIsTheTruth}`,
  });

  switch (label.kind) {
    case 'lot':
      return face(label.status, {
        title: label.material.name,
        fields: lotFields(label),
        code: label.lotNumber,
      });
    case 'container':
      return face(label.lot.status, {
        title: label.lot.material.name,
        fields: [
          {
            caption: texts.container,
            value: `${label.container.code} (${texts.containerOf(label.container.number, label.container.of)})`,
            strong: true,
          },
          ...lotFields(label.lot, label.container.quantity),
        ],
        code: label.container.code,
      });
    case 'sample':
      return face('sample', {
        title: label.lot.material.name,
        fields: [
          ...(label.sampleCode ? [{ caption: texts.sample, value: label.sampleCode, strong: true }] : []),
          { caption: texts.material, value: label.lot.material.code },
          { caption: texts.lot, value: label.lot.lotNumber, strong: true },
          { caption: texts.container, value: label.container ?? texts.none },
          { caption: texts.sampled, value: at(label.sampledAt) },
          { caption: texts.sampledBy, value: person(label.sampledBy) },
        ],
        code: label.sampleCode ?? label.lot.lotNumber,
      });
    case 'equipment':
      return face(EQUIPMENT_WORDS[label.status], {
        note:
          label.status === 'clean' && label.cleanUntil !== null
            ? texts.cleanUntil(at(label.cleanUntil))
            : label.status === 'dirty' && label.lastBatch
              ? texts.usedFor(label.lastBatch)
              : label.status === 'in use'
                ? label.batch
                : null,
        title: label.name,
        fields: [
          { caption: texts.equipment, value: label.code, strong: true },
          { caption: texts.room, value: label.room ?? texts.none },
          ...(label.status === 'in use' ? [{ caption: texts.batch, value: label.batch }] : []),
          ...(label.status === 'dirty'
            ? [{ caption: texts.lastBatch, value: label.lastBatch ?? texts.none }]
            : []),
        ],
        code: label.code,
      });
    case 'room':
      return face(ROOM_WORDS[label.status], {
        note: label.status === 'in use' ? label.batch : null,
        title: label.name,
        fields: [
          { caption: texts.room, value: label.code, strong: true },
          ...(label.status === 'in use' ? [{ caption: texts.batch, value: label.batch }] : []),
          ...(label.status === 'to clean'
            ? [{ caption: texts.lastBatch, value: label.lastBatch ?? texts.none }]
            : []),
        ],
        code: label.code,
      });
  }
}

const PLANT_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * Refuses labels that cannot print as they should, each fault with its JSON pointer: a code a
 * barcode cannot carry, a date that is not a plant date, an instant that is not one, a container
 * number beyond the count.
 */
export function checkLabels(labels: Label[], printing: LabelPrinting): void {
  const errors: FieldError[] = [];
  const fault = (pointer: string, message: string) => errors.push({ pointer, keyword: 'label', message });
  const code = (pointer: string, value: string) => {
    if (!encodableInCode128(value))
      fault(pointer, 'must be printable ASCII characters, as Code 128 carries them');
  };
  const instant = (pointer: string, value: string) => {
    if (Number.isNaN(Date.parse(value))) fault(pointer, 'must be a date and time (UTC)');
  };
  const date = (pointer: string, value: string | null) => {
    if (value !== null && !PLANT_DATE.test(value)) fault(pointer, 'must be a plant date YYYY-MM-DD');
  };
  const lot = (pointer: string, content: LotContent) => {
    code(`${pointer}/lotNumber`, content.lotNumber);
    instant(`${pointer}/receivedAt`, content.receivedAt);
    date(`${pointer}/expiryDate`, content.expiryDate);
    date(`${pointer}/retestDate`, content.retestDate);
    if (content.released) instant(`${pointer}/released/at`, content.released.at);
  };
  instant('/printedAt', printing.printedAt);
  if (labels.length === 0) fault('/labels', 'must hold at least one label');
  labels.forEach((label, i) => {
    const at = `/labels/${i}`;
    switch (label.kind) {
      case 'lot':
        lot(at, label);
        break;
      case 'container': {
        lot(`${at}/lot`, label.lot);
        code(`${at}/container/code`, label.container.code);
        const { number, of } = label.container;
        if (!Number.isInteger(of) || of < 1) fault(`${at}/container/of`, 'must be a whole number from 1');
        if (!Number.isInteger(number) || number < 1 || number > of)
          fault(`${at}/container/number`, `must be a whole number from 1 to ${of}`);
        break;
      }
      case 'sample':
        lot(`${at}/lot`, label.lot);
        if (label.sampleCode !== null) code(`${at}/sampleCode`, label.sampleCode);
        instant(`${at}/sampledAt`, label.sampledAt);
        break;
      case 'equipment':
        code(`${at}/code`, label.code);
        if (label.status === 'clean' && label.cleanUntil !== null)
          instant(`${at}/cleanUntil`, label.cleanUntil);
        break;
      case 'room':
        code(`${at}/code`, label.code);
        break;
    }
  });
  if (errors.length > 0)
    throw new InputError(
      `The labels cannot be printed: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
      errors,
    );
}
