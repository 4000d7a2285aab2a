import { checkLabels, labelFace, type Label, type LabelFace, type LabelPrinting } from './labelFaces.ts';

/** Zebra printers at 203 dpi print 8 dots a millimetre: 100 × 50 mm is 800 × 400 dots. */
const DOTS = { width: 800, height: 400, margin: 16 };

/**
 * The same labels as ZPL for a Zebra printer loaded with 100 × 50 mm labels, one `^XA … ^XZ`
 * format each. A thermal printer has no colour: the status word is printed white on black for
 * statuses that stop use (red on the PDF), black in a heavy frame otherwise. The printer's built-in
 * font holds no Chinese, so ZPL labels print in English; names are sent as UTF-8 (`^CI28`).
 */
export function labelsZpl(labels: Label[], printing: LabelPrinting): string {
  checkLabels(labels, printing);
  return labels
    .map((label, i) => format(labelFace(label, { ...printing, language: 'en' }), `/labels/${i}`))
    .join('\n');
}

/**
 * Field data after `^FH`: the characters that would end the field or start a command (`^`, `~`)
 * and the hex indicator itself (`_`) as hex escapes; `\` as one too, since a field block reads
 * it as the start of a line break. Line breaks become spaces: a field is one line.
 */
export function zplText(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[_^~\\]/g, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Code 128 field data: `^`, `>` and `~` are written as the invocation codes `><`, `>0` and `>=`. */
export function code128Data(code: string): string {
  return code.replace(/[>^~]/g, (c) => ({ '>': '>0', '^': '><', '~': '>=' })[c]!);
}

const STOP = new Set(['#c8102e']);

/** The smallest letters, in dots, a ZPL label prints: 1.5 mm. */
const SMALLEST = 12;

/**
 * The letter height at which `text` fits one line of `width` dots: the height asked for, or
 * smaller. The printer does not say how wide its letters are; these widths are generous estimates
 * for its font 0 (a condensed face), so text that fits here fits on paper. A line that would not
 * fit even in the smallest letters is refused, since the printer would print it over itself.
 */
function fitted(text: string, height: number, width: number, pointer: string): number {
  const ems = [...text].reduce((sum, c) => sum + (c.codePointAt(0)! >= 0x2e80 ? 1 : 0.6), 0);
  let size = height;
  while (ems * size > width && size > SMALLEST) size -= 1;
  if (ems * size > width)
    throw new RangeError(`The label ${pointer} does not fit its size; print it on a larger one`);
  return size;
}

function format(face: LabelFace, pointer: string): string {
  const m = DOTS.margin;
  const inner = DOTS.width - 2 * m;
  const reversed = STOP.has(face.band.fill);
  const lines = ['^XA', '^CI28', `^PW${DOTS.width}`, `^LL${DOTS.height}`, '^LH0,0'];
  const text = (x: number, y: number, size: number, width: number, value: string, align = 'L') => {
    const height = fitted(value, size, width, pointer);
    return `^FO${x},${y}^A0N,${height},${height}^FB${width},1,0,${align}^FH^FD${zplText(value)}^FS`;
  };

  // The status band: the word in 48-dot letters, its note under it.
  const invert = (command: string) => (reversed ? command.replace('^FD', '^FR^FD') : command);
  lines.push(`^FO${m},${m}^GB${inner},72,${reversed ? 72 : 6}^FS`);
  lines.push(invert(text(m, m + 6, 48, inner, face.status, 'C')));
  lines.push(invert(text(m, m + 50, 18, inner, face.note, 'C')));

  // Title and fields on the left, the QR code right of them, the barcode across under them.
  const column = 584;
  lines.push(text(m, 96, 22, column, face.title));
  // The rows close up when there are many (a released lot's container label has ten).
  const pitch = Math.min(20, Math.floor(180 / face.fields.length));
  face.fields.forEach((field, i) => {
    lines.push(text(m, 120 + pitch * i, pitch - 2, 150, field.caption));
    lines.push(text(m + 154, 120 + pitch * i, pitch - 2, column - 154, field.value));
  });
  lines.push(`^FO${m + column + 24},96^BQN,2,4^FH^FDMA,${zplText(face.code)}^FS`);
  lines.push(`^FO${m},304^BY2^BCN,40,N,N,N^FD${code128Data(face.code)}^FS`);

  const [printed, ...rest] = face.footer.split(/(?<=\.) /);
  lines.push(text(m, 352, 15, inner, printed!));
  lines.push(text(m, 370, 15, inner, rest.join(' ')));
  lines.push('^XZ');
  return lines.join('\n');
}
