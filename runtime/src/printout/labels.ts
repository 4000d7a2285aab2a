import { drawCode128, drawQrCode } from './barcodes.ts';
import {
  catalogueText,
  checkLabels,
  labelFace,
  type Label,
  type LabelFace,
  type LabelPerson,
  type LabelPrinting,
} from './labelFaces.ts';
import { LABEL_TEXTS, type LabelLanguage } from './labelTexts.ts';
import { COLORS, createPdfCanvas, mm, type PdfCanvas } from './pdfWriter.ts';

export type { Label, LabelLanguage, LabelPerson, LabelPrinting };
export type {
  ContainerLabel,
  EquipmentLabel,
  LotContent,
  LotLabel,
  LotStatus,
  RoomLabel,
  SampleLabel,
} from './labelFaces.ts';

/** A6 and A7 for labels stuck on drums and doors; 100 × 50 mm for a label printer's roll. */
export type LabelSize = 'A6' | 'A7' | 'printer';

/** Width and height in millimetres. */
export const LABEL_SIZES: Record<LabelSize, { width: number; height: number }> = {
  A6: { width: 105, height: 148 },
  A7: { width: 74, height: 105 },
  printer: { width: 100, height: 50 },
};

export interface LabelOptions extends LabelPrinting {
  size: LabelSize;
  /** A TrueType or OpenType font (or collection); Chinese labels need one that holds Chinese. */
  fontPath?: string | null;
}

/** What a layout is made of, in points. */
interface Geometry {
  margin: number;
  gap: number;
  band: number;
  word: number;
  note: number;
  title: number;
  field: number;
  qr: number;
  barcode: number;
  barcodeText: number;
  footer: number;
  /** The narrow label printer's roll puts the barcode under the QR code, beside the fields. */
  codesBeside: boolean;
}

function geometry(size: LabelSize): Geometry {
  if (size === 'printer') {
    return {
      margin: mm(2.5),
      gap: mm(1.2),
      band: mm(9.5),
      word: 19,
      note: 6.5,
      title: 8.5,
      field: 6.5,
      qr: mm(17),
      barcode: mm(8),
      barcodeText: 6,
      footer: 4.8,
      codesBeside: true,
    };
  }
  // A7 is A6 made smaller: the same layout, scaled.
  const k = LABEL_SIZES[size].width / LABEL_SIZES.A6.width;
  return {
    margin: mm(5) * k,
    gap: mm(2) * k,
    band: mm(25) * k,
    word: 34 * k,
    note: 8.5 * k,
    title: 13 * k,
    field: 10 * k,
    qr: mm(26) * k,
    barcode: mm(14) * k,
    barcodeText: 8 * k,
    footer: 6 * k,
    codesBeside: false,
  };
}

/** The smallest text a label prints; what does not fit above it needs a larger label. */
const SMALLEST = 4;

/**
 * Labels as a PDF, one per page of the size chosen (a sheet of all containers of a lot is one
 * document). Each shows its status in a colour band with the status word in large bold letters, so
 * that it reads in black-and-white printing too; a Code 128 barcode and a QR code drawn as vectors;
 * the moment it was printed; and that the status the database holds is the one that counts.
 * Chinese labels need a font that holds Chinese (setting printout.font); without one they print
 * in English.
 */
export async function labelsPdf(labels: Label[], options: LabelOptions): Promise<Buffer> {
  checkLabels(labels, options);
  const { width, height } = LABEL_SIZES[options.size];
  const title = labels.length === 1 ? 'Label' : `${labels.length} labels`;
  const canvas = await createPdfCanvas({
    fontPath: options.fontPath ?? null,
    size: { width: mm(width), height: mm(height) },
    info: {
      title,
      author: `${options.printedBy.printedName} (${options.printedBy.username})`,
      subject: `GMP status ${labels.length === 1 ? 'label' : 'labels'}`,
      creationDate: new Date(options.printedAt),
    },
  });
  const language: LabelLanguage =
    options.language !== 'en' && !canvas.shows(catalogueText(LABEL_TEXTS[options.language]))
      ? 'en'
      : options.language;
  const printing = { ...options, language };
  labels.forEach((label, i) => {
    if (i > 0) canvas.newPage();
    drawLabel(canvas, labelFace(label, printing), geometry(options.size), `/labels/${i}`);
  });
  return canvas.finish();
}

function drawLabel(canvas: PdfCanvas, face: LabelFace, g: Geometry, pointer: string) {
  const { width: W, height: H } = canvas.size;
  const inner = W - 2 * g.margin;

  // The footer first: what it says is never left out, so everything else fits above it.
  const footerLines = canvas.lines(face.footer, inner, { size: g.footer, color: COLORS.muted });
  const footerTop = H - g.margin - footerLines.length * canvas.lineHeight(g.footer);
  canvas.drawLines(footerLines, g.margin, footerTop, inner, { size: g.footer, color: COLORS.muted });

  drawBand(canvas, face, g);

  const bodyTop = g.margin + g.band + g.gap;
  const codeText = { size: g.barcodeText, align: 'center' as const };
  const codeTextHeight = canvas.lineHeight(g.barcodeText);
  let bodyBottom: number;
  let columnWidth: number;
  if (g.codesBeside) {
    const side = Math.max(g.qr, inner * 0.44);
    const x = W - g.margin - side;
    drawQrCode(canvas, face.code, { x: x + (side - g.qr) / 2, y: bodyTop, size: g.qr });
    const barcodeTop = footerTop - g.gap - codeTextHeight - g.barcode;
    drawCode128(canvas, face.code, { x, y: barcodeTop, width: side, height: g.barcode });
    canvas.drawLines([face.code], x, barcodeTop + g.barcode, side, codeText);
    bodyBottom = footerTop - g.gap;
    columnWidth = inner - side - g.gap;
  } else {
    const barcodeTop = footerTop - g.gap - codeTextHeight - g.barcode;
    drawCode128(canvas, face.code, { x: g.margin, y: barcodeTop, width: inner, height: g.barcode });
    canvas.drawLines([face.code], g.margin, barcodeTop + g.barcode, inner, codeText);
    drawQrCode(canvas, face.code, { x: W - g.margin - g.qr, y: bodyTop, size: g.qr });
    bodyBottom = barcodeTop - g.gap;
    columnWidth = inner - g.qr - g.gap;
  }
  drawFields(
    canvas,
    face,
    g,
    { x: g.margin, y: bodyTop, width: columnWidth, height: bodyBottom - bodyTop },
    pointer,
  );
}

/** The status band: its colour, a heavy border, the status word as large as fits, and its note. */
function drawBand(canvas: PdfCanvas, face: LabelFace, g: Geometry) {
  const inner = canvas.size.width - 2 * g.margin;
  const border = Math.max(1, g.band / 40);
  canvas.box([g.margin, g.margin, inner, g.band], {
    fill: face.band.fill,
    stroke: '#000000',
    lineWidth: border,
  });
  const room = inner - 4 * border;
  const second = face.statusInEnglish ? { size: g.note * 1.15, bold: true, color: face.band.ink } : null;
  const note = { size: g.note, color: face.band.ink };
  const noteLines = canvas.lines(face.note, room, note);
  const below = noteLines.length * canvas.lineHeight(g.note) + (second ? canvas.lineHeight(second.size) : 0);
  let size = Math.min(g.word, (g.band - 2 * border - below) / 1.15);
  size = Math.min(size, (size * room) / canvas.widthOf(face.status, { size, bold: true }));
  const word = { size, bold: true, color: face.band.ink, align: 'center' as const };
  const total = size * 1.15 + below;
  let y = g.margin + (g.band - total) / 2;
  canvas.drawLines([face.status], g.margin + 2 * border, y, room, word);
  y += size * 1.15;
  if (second)
    y += canvas.drawLines([face.statusInEnglish!], g.margin + 2 * border, y, room, {
      ...second,
      align: 'center',
    });
  canvas.drawLines(noteLines, g.margin + 2 * border, y, room, { ...note, align: 'center' });
}

/**
 * The title and the fields, captions beside values, shrunk together until they fit the column;
 * a label on which they would not fit even in the smallest letters is refused, not cut.
 */
function drawFields(
  canvas: PdfCanvas,
  face: LabelFace,
  g: Geometry,
  area: { x: number; y: number; width: number; height: number },
  pointer: string,
) {
  const captionWidth = area.width * 0.36;
  const valueWidth = area.width - captionWidth - 3;
  for (let scale = 1; ; scale *= 0.94) {
    const fieldSize = g.field * scale;
    if (fieldSize < SMALLEST) {
      throw new RangeError(`The label ${pointer} does not fit its size; print it on a larger one`);
    }
    const title = { size: g.title * scale, bold: true };
    const titleLines = canvas.lines(face.title, area.width, title);
    const rows = face.fields.map((f) => {
      const caption = canvas.lines(f.caption, captionWidth, { size: fieldSize, color: COLORS.muted });
      const value = canvas.lines(f.value, valueWidth, { size: fieldSize, bold: f.strong ?? false });
      return { f, caption, value, lines: Math.max(caption.length, value.length) };
    });
    const lh = canvas.lineHeight(fieldSize);
    const needed =
      titleLines.length * canvas.lineHeight(title.size) +
      lh * 0.3 +
      rows.reduce((sum, r) => sum + r.lines * lh, 0);
    if (needed > area.height) continue;
    let y = area.y + canvas.drawLines(titleLines, area.x, area.y, area.width, title) + lh * 0.3;
    for (const row of rows) {
      canvas.drawLines(row.caption, area.x, y, captionWidth, { size: fieldSize, color: COLORS.muted });
      canvas.drawLines(row.value, area.x + captionWidth + 3, y, valueWidth, {
        size: fieldSize,
        bold: row.f.strong ?? false,
      });
      y += row.lines * lh;
    }
    return;
  }
}
