import { readFile } from 'node:fs/promises';
import PDFDocument from 'pdfkit';

/** A4 in points. */
const PAGE = { width: 595.28, height: 841.89 };
/** Room above and below the body for the running header and footer. */
const MARGIN = { top: 62, bottom: 58, left: 42, right: 42 };
const BODY = {
  top: MARGIN.top,
  bottom: PAGE.height - MARGIN.bottom,
  width: PAGE.width - MARGIN.left - MARGIN.right,
};
const LEADING = 1.25;
const KEEP_WITH_HEADING = 72;
const CELL_PADDING = { x: 3, y: 2.5 };

export const COLORS = {
  text: '#111111',
  muted: '#555555',
  rule: '#8a8a8a',
  alert: '#b00020',
  headerFill: '#e9e9e9',
  changedFill: '#fff1cc',
  exceptionFill: '#fde7e9',
  noticeFill: '#fff8e1',
};

/** One paragraph of a cell or a block, in one style. */
export interface Run {
  text: string;
  bold?: boolean;
  color?: string;
}

export type Cell = string | Run | Run[];

export interface Column {
  title: string;
  /** Its share of the width; the shares of a table need not add up to anything. */
  share: number;
}

export interface TableOptions {
  /** Repeated at the top of every page the table runs onto; on unless false. */
  header?: boolean;
  /** Cell borders; on unless false. */
  grid?: boolean;
  fontSize?: number;
  /** A background for the row, e.g. to mark a changed value. */
  fill?: (row: number) => string | null;
}

export interface WriterOptions {
  /** A TrueType or OpenType font to print with; the standard Helvetica without one. */
  fontPath?: string | null;
  info: { title: string; author: string; subject: string; creationDate: Date };
}

function documentInfo(info: WriterOptions['info']): PDFKit.DocumentInfo {
  return {
    Title: info.title,
    Author: info.author,
    Subject: info.subject,
    Creator: 'Attest',
    CreationDate: info.creationDate,
  };
}

export interface RunningText {
  /** Top line, left and right. */
  header: [string, string];
  /** Bottom line, left; the page number goes right of it. */
  footer: string;
}

/** The characters beyond ASCII and Latin-1 that the standard fonts' WinAnsi encoding holds. */
const WIN_ANSI_EXTRA = new Set([
  0x152, 0x153, 0x160, 0x161, 0x178, 0x17d, 0x17e, 0x192, 0x2c6, 0x2dc, 0x2013, 0x2014, 0x2018, 0x2019,
  0x201a, 0x201c, 0x201d, 0x201e, 0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122,
]);

const inWinAnsi = (cp: number) =>
  (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp);

/** How a character the font cannot show is printed instead: visibly, never as nothing or as another glyph. */
export const codePoint = (cp: number) => `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`;

interface Face {
  hasGlyphForCodePoint(cp: number): boolean;
}

/**
 * The parsed font behind pdfkit's current embedded font. pdfkit exposes no public way to ask whether
 * a font has a glyph; without this a missing glyph would print as an empty box.
 */
function currentFace(doc: PDFKit.PDFDocument): Face | null {
  const face = (doc as unknown as { _font?: { font?: Partial<Face> } })._font?.font;
  return typeof face?.hasGlyphForCodePoint === 'function' ? (face as Face) : null;
}

interface Line {
  text: string;
  bold: boolean;
  color: string;
}

/** The fonts a document prints with, and whether they can show a character. */
interface Fonts {
  regular: string;
  bold: string;
  covers: (cp: number) => boolean;
}

/**
 * Embeds the configured font, or keeps the standard Helvetica without one. A font collection
 * (`.ttc`, as CJK fonts usually come) gives its Simplified Chinese face, or its first.
 */
async function embedFont(doc: PDFKit.PDFDocument, fontPath: string | null | undefined): Promise<Fonts> {
  if (!fontPath) return { regular: 'Helvetica', bold: 'Helvetica-Bold', covers: inWinAnsi };
  let face: Face | null;
  try {
    const file = await readFile(fontPath);
    const faces = collectionFaces(file);
    const chosen = faces && (faces.find((name) => /(?:sc|SC)(?:-|$)/.test(name)) ?? faces[0]);
    if (chosen) doc.registerFont('body', file, chosen);
    else doc.registerFont('body', file);
    doc.font('body');
    face = currentFace(doc);
  } catch (error) {
    throw new Error(`The printout font ${fontPath} cannot be used: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const known = new Map<number, boolean>();
  return {
    // One face serves both weights: a font file holds one; headings stand out by size.
    regular: 'body',
    bold: 'body',
    covers: (cp) => {
      let has = known.get(cp);
      if (has === undefined) {
        has = cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f) && (face ? face.hasGlyphForCodePoint(cp) : true);
        known.set(cp, has);
      }
      return has;
    },
  };
}

/**
 * The PostScript names of the faces of a TrueType/OpenType collection, read from each face's name
 * table (name id 6); null for a single font. pdfkit opens a face of a collection only by its name.
 */
function collectionFaces(file: Buffer): string[] | null {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'ttcf') return null;
  const names: string[] = [];
  const count = file.readUInt32BE(8);
  for (let i = 0; i < count; i++) {
    const face = file.readUInt32BE(12 + 4 * i);
    const tables = file.readUInt16BE(face + 4);
    for (let t = 0; t < tables; t++) {
      const entry = face + 12 + 16 * t;
      if (file.toString('latin1', entry, entry + 4) !== 'name') continue;
      const table = file.readUInt32BE(entry + 8);
      const records = file.readUInt16BE(table + 2);
      const strings = table + file.readUInt16BE(table + 4);
      for (let r = 0; r < records; r++) {
        const record = table + 6 + 12 * r;
        if (file.readUInt16BE(record + 6) !== 6) continue;
        const platform = file.readUInt16BE(record);
        const at = strings + file.readUInt16BE(record + 10);
        const bytes = file.subarray(at, at + file.readUInt16BE(record + 8));
        // Windows names are UTF-16BE; Macintosh ones single bytes.
        names.push(
          platform === 3 ? Buffer.from(bytes).swap16().toString('utf16le') : bytes.toString('latin1'),
        );
        break;
      }
    }
  }
  return names;
}

/**
 * Sets text in the document's fonts: every character goes through one check, and what the font
 * cannot show is printed as its code point.
 */
function textSetter(doc: PDFKit.PDFDocument, fonts: Fonts) {
  let substituted = false;

  /** The text as printable pieces: a character, or the code point of one the font cannot show. */
  function units(text: string): string[] {
    const out: string[] = [];
    for (const char of text.replace(/\r\n?/g, '\n')) {
      if (char === '\t') out.push(' ');
      else if (char === '\n' || fonts.covers(char.codePointAt(0)!)) out.push(char);
      else {
        out.push(codePoint(char.codePointAt(0)!));
        substituted = true;
      }
    }
    return out;
  }

  /**
   * Breaks text into lines no wider than `width`: at spaces where it can, inside a word where it
   * must (and so between the characters of scripts written without spaces). Spaces inside a line,
   * such as those of a raw instrument reading, are kept as they are.
   */
  function wrap(text: string, width: number, style: { bold: boolean }, size: number): string[] {
    doc.font(style.bold ? fonts.bold : fonts.regular).fontSize(size);
    const fits = (s: string) => doc.widthOfString(s) <= width;
    const lines: string[] = [];
    for (const paragraph of splitParagraphs(units(text))) {
      let line = '';
      for (const token of tokens(paragraph)) {
        const joined = token.join('');
        if (fits(line + joined)) {
          line += joined;
        } else if (token[0] === ' ') {
          // The line ends at the spaces; the next starts with the word after them.
          lines.push(line);
          line = '';
        } else {
          if (line.trim() !== '') {
            lines.push(line);
            line = '';
          }
          if (fits(joined)) line = joined;
          else {
            let rest = token;
            while (rest.length) {
              const [head, tail] = breakWord(rest, line, fits);
              if (head.length === 0) {
                lines.push(line);
                line = '';
                continue;
              }
              line += head.join('');
              rest = tail;
              if (rest.length) {
                lines.push(line);
                line = '';
              }
            }
          }
        }
      }
      lines.push(line);
    }
    return lines;
  }

  function use(run: { bold: boolean; color: string }, size: number) {
    doc
      .font(run.bold ? fonts.bold : fonts.regular)
      .fontSize(size)
      .fillColor(run.color);
  }

  return {
    units,
    wrap,
    use,
    get substituted() {
      return substituted;
    },
  };
}

/** Collects the bytes pdfkit writes, until the document ends. */
function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

/**
 * A document that lays itself out: paragraphs, key-value blocks and tables that wrap and run onto
 * new pages, with a running header and footer on every page. It wraps lines itself, so every
 * character goes through one check: what the font cannot show is printed as its code point.
 */
export async function createPdfWriter(options: WriterOptions) {
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    autoFirstPage: true,
    info: documentInfo(options.info),
  });
  const ended = collect(doc);
  const setter = textSetter(doc, await embedFont(doc, options.fontPath));
  const { units, wrap, use } = setter;

  let y = BODY.top;

  const lineHeight = (size: number) => size * LEADING;

  function newPage() {
    doc.addPage();
    y = BODY.top;
  }

  /** Starts a new page unless `height` more fits on this one. */
  function room(height: number) {
    if (y + height > BODY.bottom && y > BODY.top) newPage();
  }

  function drawLine(line: Line, x: number, at: number, size: number) {
    if (line.text === '') return;
    use(line, size);
    doc.text(line.text, x, at, { lineBreak: false });
  }

  function runsOf(cell: Cell): Required<Run>[] {
    const runs = typeof cell === 'string' ? [{ text: cell }] : Array.isArray(cell) ? cell : [cell];
    return runs.map((r) => ({ text: r.text, bold: r.bold ?? false, color: r.color ?? COLORS.text }));
  }

  function linesOf(cell: Cell, width: number, size: number): Line[] {
    return runsOf(cell).flatMap((run) =>
      wrap(run.text, width, run, size).map((text) => ({ text, bold: run.bold, color: run.color })),
    );
  }

  /** Text across the full width, running onto new pages line by line. */
  function paragraph(cell: Cell, size = 9, gapAfter = 4) {
    for (const line of linesOf(cell, BODY.width, size)) {
      room(lineHeight(size));
      drawLine(line, MARGIN.left, y, size);
      y += lineHeight(size);
    }
    y += gapAfter;
  }

  /** A heading kept together with the first lines of what follows it. */
  function heading(text: string, level: 1 | 2 = 1) {
    const size = level === 1 ? 13 : 10.5;
    y += level === 1 ? 8 : 5;
    const lines = linesOf({ text, bold: true }, BODY.width, size);
    // Room for a table's header and first rows too: a heading never ends a page.
    room(lines.length * lineHeight(size) + KEEP_WITH_HEADING);
    for (const line of lines) {
      drawLine(line, MARGIN.left, y, size);
      y += lineHeight(size);
    }
    if (level === 1) {
      doc
        .moveTo(MARGIN.left, y)
        .lineTo(MARGIN.left + BODY.width, y)
        .lineWidth(0.8)
        .strokeColor(COLORS.text)
        .stroke();
      y += 4;
    } else y += 2;
  }

  /** A boxed, tinted block that stands out, kept on one page. */
  function notice(cell: Cell, fill: string = COLORS.noticeFill, border: string = COLORS.rule, size = 9) {
    const lines = linesOf(cell, BODY.width - 2 * 6, size);
    const height = lines.length * lineHeight(size) + 2 * 5;
    room(height);
    doc.rect(MARGIN.left, y, BODY.width, height).lineWidth(0.8).fillAndStroke(fill, border);
    let at = y + 5;
    for (const line of lines) {
      drawLine(line, MARGIN.left + 6, at, size);
      at += lineHeight(size);
    }
    y += height + 6;
  }

  /**
   * A table whose rows wrap their cells; a row too tall for what is left of the page moves to the
   * next, and one taller than a page is split between lines. The header row repeats on each page.
   */
  function table(columns: Column[], rows: Cell[][], opts: TableOptions = {}) {
    const size = opts.fontSize ?? 8;
    const lh = lineHeight(size);
    const grid = opts.grid !== false;
    const total = columns.reduce((sum, c) => sum + c.share, 0);
    const widths = columns.map((c) => (c.share / total) * BODY.width);
    const xs = widths.map((_, i) => MARGIN.left + widths.slice(0, i).reduce((a, b) => a + b, 0));
    const inner = (i: number) => widths[i]! - 2 * CELL_PADDING.x;

    const headerLines =
      opts.header === false
        ? null
        : columns.map((c, i) => linesOf({ text: c.title, bold: true }, inner(i), size));
    const headerHeight = headerLines
      ? Math.max(...headerLines.map((l) => l.length)) * lh + 2 * CELL_PADDING.y
      : 0;

    const drawSlice = (cells: Line[][], from: number, count: number, fill: string | null) => {
      const height = count * lh + 2 * CELL_PADDING.y;
      cells.forEach((lines, i) => {
        if (fill) doc.rect(xs[i]!, y, widths[i]!, height).fill(fill);
        if (grid) doc.rect(xs[i]!, y, widths[i]!, height).lineWidth(0.4).strokeColor(COLORS.rule).stroke();
        lines.slice(from, from + count).forEach((line, n) => {
          drawLine(line, xs[i]! + CELL_PADDING.x, y + CELL_PADDING.y + n * lh, size);
        });
      });
      y += height;
    };
    const drawHeader = () => {
      if (!headerLines) return;
      const count = Math.max(...headerLines.map((l) => l.length));
      drawSlice(headerLines, 0, count, COLORS.headerFill);
    };
    const pageBreak = () => {
      newPage();
      drawHeader();
    };

    const laidOut = rows.map((row) => row.map((cell, i) => linesOf(cell, inner(i), size)));
    const capacity = Math.floor((BODY.bottom - BODY.top - headerHeight - 2 * CELL_PADDING.y) / lh);
    const lineCount = (cells: Line[][]) => Math.max(1, ...cells.map((l) => l.length));
    // The header row never stands alone at the foot of a page.
    const first = laidOut[0] ? Math.min(lineCount(laidOut[0]), capacity) : 1;
    room(headerHeight + first * lh + 2 * CELL_PADDING.y);
    drawHeader();
    laidOut.forEach((cells, r) => {
      const count = lineCount(cells);
      const fill = opts.fill?.(r) ?? null;
      const fitsHere = () => Math.floor((BODY.bottom - y - 2 * CELL_PADDING.y) / lh);
      // A row that fits on a page of its own is not split.
      if (count > fitsHere() && count <= capacity) pageBreak();
      let from = 0;
      while (from < count) {
        let here = fitsHere();
        if (here < 1) {
          pageBreak();
          here = fitsHere();
        }
        const take = Math.min(here, count - from);
        drawSlice(cells, from, take, fill);
        from += take;
        if (from < count) pageBreak();
      }
    });
    y += 6;
  }

  /**
   * Puts the running header and footer on every page and closes the document. The footer is
   * shrunk rather than cut when a long name would not fit on its line.
   */
  function finish(running: RunningText): Promise<Buffer> {
    const { start, count } = doc.bufferedPageRange();
    const header = running.header.map((t) => units(t).join('')) as [string, string];
    const footer = units(running.footer).join('');
    for (let i = start; i < start + count; i++) {
      doc.switchToPage(i);
      const page = `Page ${i - start + 1} of ${count}`;
      const top = 30;
      let size = 8.5;
      use({ bold: true, color: COLORS.text }, size);
      doc.text(header[0], MARGIN.left, top, { lineBreak: false });
      use({ bold: false, color: COLORS.text }, size);
      doc.text(header[1], MARGIN.left + BODY.width - doc.widthOfString(header[1]), top, { lineBreak: false });
      doc
        .moveTo(MARGIN.left, top + 14)
        .lineTo(MARGIN.left + BODY.width, top + 14)
        .lineWidth(0.6)
        .strokeColor(COLORS.rule)
        .stroke();

      const bottom = PAGE.height - 38;
      size = 7.5;
      use({ bold: false, color: COLORS.muted }, size);
      while (size > 5 && doc.widthOfString(footer) + doc.widthOfString(page) + 16 > BODY.width) {
        size -= 0.5;
        doc.fontSize(size);
      }
      doc
        .moveTo(MARGIN.left, bottom - 6)
        .lineTo(MARGIN.left + BODY.width, bottom - 6)
        .lineWidth(0.6)
        .strokeColor(COLORS.rule)
        .stroke();
      doc.text(footer, MARGIN.left, bottom, { lineBreak: false });
      use({ bold: true, color: COLORS.text }, size);
      doc.text(page, MARGIN.left + BODY.width - doc.widthOfString(page), bottom, { lineBreak: false });
    }
    doc.end();
    return ended;
  }

  return {
    paragraph,
    heading,
    notice,
    table,
    finish,
    newPage,
    /** Whether some character was printed as its code point. */
    get substituted() {
      return setter.substituted;
    },
  };
}

export type PdfWriter = Awaited<ReturnType<typeof createPdfWriter>>;

/** A page's size in points. */
export interface PageSize {
  width: number;
  height: number;
}

/** A length in millimetres, in points. */
export const mm = (millimetres: number) => (millimetres * 72) / 25.4;

export interface CanvasOptions {
  /** A TrueType or OpenType font (or collection) to print with; the standard Helvetica without one. */
  fontPath?: string | null;
  info: WriterOptions['info'];
  size: PageSize;
}

export interface TextStyle {
  size: number;
  bold?: boolean;
  color?: string;
  align?: 'left' | 'center' | 'right';
}

/** A rectangle as x, y (its top left corner, from the top of the page), width and height. */
export type Rectangle = [number, number, number, number];

/**
 * Pages of one size on which everything is placed where it goes, as on a label: filled and outlined
 * boxes, text wrapped within a width, and shapes made of many rectangles (the bars and modules of
 * barcodes, drawn as vectors so that they print sharp at any size). Text goes through the same
 * check as the record printout's: what the font cannot show prints as its code point.
 */
export async function createPdfCanvas(options: CanvasOptions) {
  const doc = new PDFDocument({
    size: [options.size.width, options.size.height],
    margin: 0,
    autoFirstPage: true,
    info: documentInfo(options.info),
  });
  const ended = collect(doc);
  const fonts = await embedFont(doc, options.fontPath);
  const setter = textSetter(doc, fonts);

  const style = (s: TextStyle) => ({ bold: s.bold ?? false, color: s.color ?? COLORS.text });

  /** The lines `text` takes within `width`. */
  function lines(text: string, width: number, s: TextStyle): string[] {
    return setter.wrap(text, width, style(s), s.size);
  }

  function widthOf(text: string, s: TextStyle): number {
    setter.use(style(s), s.size);
    return doc.widthOfString(setter.units(text).join(''));
  }

  /** Draws lines laid out by `lines` from `y` down; returns the height they took. */
  function drawLines(laid: string[], x: number, y: number, width: number, s: TextStyle): number {
    const height = s.size * LEADING;
    laid.forEach((line, n) => {
      if (line === '') return;
      setter.use(style(s), s.size);
      const offset = doc.widthOfString(line);
      const at = s.align === 'center' ? (width - offset) / 2 : s.align === 'right' ? width - offset : 0;
      // A font file holds one weight; bold is then drawn by outlining the letters too.
      const outlined = s.bold === true && fonts.bold === fonts.regular;
      if (outlined) doc.lineWidth(s.size * 0.04).strokeColor(s.color ?? COLORS.text);
      doc.text(line, x + at, y + n * height, { lineBreak: false, stroke: outlined, fill: true });
    });
    return laid.length * height;
  }

  return {
    size: options.size,
    lines,
    widthOf,
    drawLines,
    lineHeight: (size: number) => size * LEADING,
    /** Whether the font shows every character of `text`. */
    shows: (text: string) => [...text].every((char) => char === '\n' || fonts.covers(char.codePointAt(0)!)),
    box(rectangle: Rectangle, paint: { fill?: string; stroke?: string; lineWidth?: number }) {
      doc.rect(...rectangle);
      if (paint.fill && paint.stroke)
        doc.lineWidth(paint.lineWidth ?? 1).fillAndStroke(paint.fill, paint.stroke);
      else if (paint.fill) doc.fill(paint.fill);
      else doc.lineWidth(paint.lineWidth ?? 1).stroke(paint.stroke ?? COLORS.text);
    },
    /** Fills many rectangles as one path: the bars of a barcode, the dark modules of a QR code. */
    rectangles(rectangles: Rectangle[], color: string) {
      if (rectangles.length === 0) return;
      for (const rectangle of rectangles) doc.rect(...rectangle);
      doc.fill(color);
    },
    newPage() {
      doc.addPage({ size: [options.size.width, options.size.height], margin: 0 });
    },
    finish(): Promise<Buffer> {
      doc.end();
      return ended;
    },
    /** Whether some character was printed as its code point. */
    get substituted() {
      return setter.substituted;
    },
  };
}

export type PdfCanvas = Awaited<ReturnType<typeof createPdfCanvas>>;

/** Where a long word such as an event type, a path or an id breaks best: after one of these. */
const BREAK_AFTER = new Set(['.', '_', '/', '-', ',', ';', ':']);

/**
 * The longest start of a word that still fits after `line`, cut after punctuation where there is
 * some; nothing when even its first piece does not fit after what the line holds already.
 */
function breakWord(word: string[], line: string, fits: (s: string) => boolean): [string[], string[]] {
  let n = 0;
  let text = line;
  while (n < word.length && fits(text + word[n]!)) text += word[n++]!;
  if (n === 0) return line === '' ? [word.slice(0, 1), word.slice(1)] : [[], word];
  if (n === word.length) return [word, []];
  let cut = n;
  while (cut > 0 && !BREAK_AFTER.has(word[cut - 1]!)) cut--;
  return cut > 0 ? [word.slice(0, cut), word.slice(cut)] : [word.slice(0, n), word.slice(n)];
}

function splitParagraphs(units: string[]): string[][] {
  const paragraphs: string[][] = [[]];
  for (const unit of units) {
    if (unit === '\n') paragraphs.push([]);
    else paragraphs.at(-1)!.push(unit);
  }
  return paragraphs;
}

/** Runs of spaces and runs of anything else. */
function tokens(units: string[]): string[][] {
  const out: string[][] = [];
  for (const unit of units) {
    const last = out.at(-1);
    if (last && (last[0] === ' ') === (unit === ' ')) last.push(unit);
    else out.push([unit]);
  }
  return out;
}
