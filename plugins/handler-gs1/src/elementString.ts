import { BpmnError } from '@attest/plugin-api';
import { hasValidCheckDigit } from './checkDigit.ts';

/** What `gs1.parse` reads out of an element string; an application identifier that is absent is null. */
export interface ElementString {
  /** AI (01), the GTIN as 14 digits. */
  gtin: string | null;
  /** AI (10), the batch or lot number. */
  lot: string | null;
  /** AI (17), the expiry date as YYYY-MM-DD. */
  expiry: string | null;
  /** AI (21), the serial number. */
  serial: string | null;
}

/** The error codes a model's boundary event can catch. */
export const GS1_ERRORS = {
  /** Not a GS1 element string, or one with an application identifier that is not read here. */
  syntax: 'GS1_SYNTAX',
  /** A GTIN or SSCC whose check digit is wrong: a misread or a mistyped code. */
  checkDigit: 'GS1_CHECK_DIGIT',
  /** An expiry date that is no date (month 13, 30 February). */
  date: 'GS1_DATE',
} as const;

type Field = keyof ElementString;

/** The application identifiers read: fixed-length ones by their length, the others up to 20 characters. */
const AIS: Record<string, { field: Field; length?: number; name: string }> = {
  '01': { field: 'gtin', length: 14, name: 'GTIN' },
  '10': { field: 'lot', name: 'batch or lot number' },
  '17': { field: 'expiry', length: 6, name: 'expiry date' },
  '21': { field: 'serial', name: 'serial number' },
};

/** GS1 AI encodable character set 82, which lots and serial numbers are written in. */
const CSET_82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;

/** Symbology identifiers of the carriers of GS1 element strings: GS1-128, GS1 DataMatrix, GS1 QR Code. */
const SYMBOLOGIES = [']C1', ']d2', ']Q3'];

const syntax = (message: string) => new BpmnError(GS1_ERRORS.syntax, message);

function specOf(ai: string) {
  const spec = AIS[ai];
  if (!spec)
    throw syntax(`Application identifier (${ai}) is not one gs1.parse reads: (01), (10), (17), (21)`);
  return spec;
}

/**
 * Reads a GS1 element string as a scanner sends it (`]d2010950600013435217…`, an optional
 * symbology identifier, FNC1 as `separator` after a variable-length field) or as it is printed
 * under the code (`(01)09506000134352(17)281231(10)ABC123`). `year` is this year, which places a
 * two-digit year in its century as the GS1 General Specifications (7.12) say.
 */
export function parseElementString(input: string, separator: string, year: number): ElementString {
  const text = input.replace(/[\r\n]+$/, '');
  const fields = text.startsWith('(') ? bracketed(text) : scanned(text, separator);
  if (fields.length === 0) throw syntax('The code is empty');
  const read: ElementString = { gtin: null, lot: null, expiry: null, serial: null };
  for (const [ai, value] of fields) {
    const spec = specOf(ai);
    if (read[spec.field] !== null) throw syntax(`Application identifier (${ai}) appears twice`);
    read[spec.field] = checked(ai, value, year);
  }
  return read;
}

/** The value of one field, checked and, for a date, written as YYYY-MM-DD. */
function checked(ai: string, value: string, year: number): string {
  const spec = AIS[ai]!;
  if (spec.length !== undefined && !new RegExp(`^\\d{${spec.length}}$`).test(value))
    throw syntax(`The ${spec.name} (${ai}) must be ${spec.length} digits, not "${value}"`);
  if (spec.length === undefined && !CSET_82.test(value))
    throw syntax(`The ${spec.name} (${ai}) must be 1 to 20 GS1 characters, not "${value}"`);
  if (ai === '01' && !hasValidCheckDigit(value))
    throw new BpmnError(GS1_ERRORS.checkDigit, `The check digit of GTIN ${value} is wrong`);
  return ai === '17' ? isoDate(value, year) : value;
}

/** `(01)…(17)…`: each AI in parentheses, then its value. */
function bracketed(text: string): [string, string][] {
  const fields: [string, string][] = [];
  const field = /\((\d{2,4})\)([^()]*)/y;
  while (field.lastIndex < text.length) {
    const at = field.lastIndex;
    const match = field.exec(text);
    if (!match) throw syntax(`The code is not a GS1 element string from character ${at + 1}`);
    fields.push([match[1]!, match[2]!]);
  }
  return fields;
}

/** As scanned: AI and value run on; a variable-length value ends at the separator or the end. */
function scanned(text: string, separator: string): [string, string][] {
  let rest = text;
  if (rest.startsWith(']')) {
    const symbology = rest.slice(0, 3);
    if (!SYMBOLOGIES.includes(symbology))
      throw syntax(`Symbology ${symbology} does not carry GS1 element strings`);
    rest = rest.slice(3);
  }
  const fields: [string, string][] = [];
  while (rest.startsWith(separator)) rest = rest.slice(separator.length);
  while (rest.length > 0) {
    const ai = rest.slice(0, 2);
    if (!/^\d\d$/.test(ai))
      throw syntax(`"${rest.slice(0, 10)}" does not start with an application identifier`);
    const spec = specOf(ai);
    let end = spec.length === undefined ? rest.indexOf(separator, 2) : 2 + spec.length;
    if (end < 0) end = rest.length;
    fields.push([ai, rest.slice(2, end)]);
    rest = rest.slice(end);
    if (rest.startsWith(separator)) rest = rest.slice(separator.length);
  }
  return fields;
}

/** YYMMDD as YYYY-MM-DD; day 00 is the last day of the month (GS1 General Specifications 3.4.4). */
function isoDate(yymmdd: string, year: number): string {
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  // 7.12: a year more than 50 ahead is of the last century; one more than 49 behind, of the next.
  const century = Math.floor(year / 100) * 100;
  const difference = yy - (year % 100);
  const full = century + yy + (difference >= 51 ? -100 : difference <= -50 ? 100 : 0);
  const last = new Date(Date.UTC(full, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day > last)
    throw new BpmnError(GS1_ERRORS.date, `The expiry date ${yymmdd} (YYMMDD) is no date`);
  const dd = day === 0 ? last : day;
  return `${full}-${String(month).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}
