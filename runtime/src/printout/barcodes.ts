// The Node build by its own path: it resolves under any module resolution, the browser's bundler's too.
import bwipjs from 'bwip-js/node';
import type { PdfCanvas, Rectangle } from './pdfWriter.ts';

/** Light modules left clear on each side of a Code 128 symbol, as ISO/IEC 15417 asks. */
export const CODE128_QUIET_ZONE = 10;
/** Light modules left clear around a QR code, as ISO/IEC 18004 asks. */
export const QR_QUIET_ZONE = 4;

/** What Code 128 carries as it is: printable ASCII, the characters of lot, container and equipment codes. */
const CODE128_TEXT = /^[\x20-\x7e]+$/;

export const encodableInCode128 = (text: string) => CODE128_TEXT.test(text);

/**
 * The widths, in modules, of the bars and spaces of `text` in Code 128, bar first, from the start
 * character to the stop character (bwip-js picks the code sets and computes the check character).
 */
export function code128(text: string): number[] {
  if (!encodableInCode128(text)) {
    throw new RangeError(`Code 128 cannot carry ${JSON.stringify(text)}: only printable ASCII`);
  }
  const [symbol] = bwipjs.raw({ bcid: 'code128', text }) as { sbs: number[] }[];
  return symbol!.sbs;
}

/** The dark modules of `text` as a QR code, row by row (error correction level M, bwip-js's default). */
export function qrCode(text: string): boolean[][] {
  const [symbol] = bwipjs.raw({ bcid: 'qrcode', text, eclevel: 'M' } as bwipjs.RawOptions) as {
    pixs: number[];
    pixx: number;
    pixy: number;
  }[];
  const { pixs, pixx, pixy } = symbol!;
  return Array.from({ length: pixy }, (_, row) =>
    Array.from({ length: pixx }, (_, column) => pixs[row * pixx + column] === 1),
  );
}

/**
 * Draws `text` as Code 128 bars filling `width` (quiet zones included) and `height`. Returns the
 * width of one module, so a caller can say whether a scanner will read it at this size.
 */
export function drawCode128(
  canvas: PdfCanvas,
  text: string,
  at: { x: number; y: number; width: number; height: number },
): number {
  const widths = code128(text);
  const modules = widths.reduce((sum, w) => sum + w, 0) + 2 * CODE128_QUIET_ZONE;
  const module = at.width / modules;
  const bars: Rectangle[] = [];
  let x = at.x + CODE128_QUIET_ZONE * module;
  widths.forEach((w, i) => {
    if (i % 2 === 0) bars.push([x, at.y, w * module, at.height]);
    x += w * module;
  });
  canvas.rectangles(bars, '#000000');
  return module;
}

/** Draws `text` as a QR code in a square of side `size` (quiet zone included). */
export function drawQrCode(canvas: PdfCanvas, text: string, at: { x: number; y: number; size: number }) {
  const matrix = qrCode(text);
  const module = at.size / (matrix.length + 2 * QR_QUIET_ZONE);
  const origin = { x: at.x + QR_QUIET_ZONE * module, y: at.y + QR_QUIET_ZONE * module };
  const dark: Rectangle[] = [];
  matrix.forEach((row, r) => {
    // A run of dark modules is one rectangle: fewer shapes, and no hairline seams between them.
    let start = -1;
    row.forEach((on, c) => {
      if (on && start < 0) start = c;
      if (start >= 0 && (!on || c === row.length - 1)) {
        const end = on ? c + 1 : c;
        dark.push([origin.x + start * module, origin.y + r * module, (end - start) * module, module]);
        start = -1;
      }
    });
  });
  canvas.rectangles(dark, '#000000');
}
