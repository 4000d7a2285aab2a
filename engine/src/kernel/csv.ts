import { InputError } from './errors.ts';

/**
 * Reads CSV text as a spreadsheet writes it (RFC 4180: commas, quoted fields with doubled quotes
 * and line breaks inside, CRLF or LF): each row with the line it starts on, blank lines skipped; a quote
 * never closed is refused.
 */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0]!.trim() !== '') rows.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      start = line;
    } else cell += c;
  }
  if (quoted) {
    const message = `line ${start}: a quoted field is never closed`;
    throw new InputError(`The CSV is not valid: ${message}`, [
      { pointer: '/csv', keyword: 'format', message },
    ]);
  }
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}
