/**
 * MT-SICS (Mettler Toledo Standard Interface Command Set), levels 0 and 1, as text: the commands
 * Attest sends, how an answer line is taken apart, and what each error code means. Nothing here
 * touches a socket or a serial line.
 */

/** The commands the connector sends, each named as it goes on the wire. */
export type MtsicsCommand = 'S' | 'SI' | 'SIR' | 'Z' | 'T' | 'TA' | 'I2' | 'I4' | '@';

/** One answer line taken apart: the command it answers, its status letter and its fields. */
export interface MtsicsAnswer {
  /** The first field: the command answered (`S`, `Z`, `TA`, `I4` …) or an error code (`ES`, `ET`, `EL`). */
  command: string;
  /** The second field (`S`, `D`, `A`, `I`, `L`, `+`, `-`), or `''` for `ES`, `ET` and `EL`. */
  status: string;
  /** What follows the status: a weight and unit, or a quoted text. */
  rest: string;
}

/** A weight answer (`S S     100.00 g`): the value, the unit as the scale gave it, and its status. */
export interface MtsicsWeight {
  value: number | null;
  unit: string | null;
  status: 'ok' | 'unstable' | 'overload' | 'underload';
}

/** What the transmission error codes mean, as MT-SICS defines them. */
export const ERROR_MEANINGS: Readonly<Record<string, string>> = {
  ES: 'syntax error: the scale did not recognise the command',
  ET: 'transmission error: the scale received a faulty command (parity, framing or a line too long)',
  EL: 'logical error: the scale understood the command but cannot execute it (a parameter is wrong)',
};

/** What a command's status letter means when the command was not carried out. */
const STATUS_MEANINGS: Readonly<Record<string, string>> = {
  I: 'command not executable (the scale is busy, or it did not become stable within its time-out)',
  L: 'command understood but not executable (the value is out of range)',
  '+': 'upper limit exceeded',
  '-': 'lower limit exceeded',
};

/** The answer's first field for each command: `SI` and `SIR` are answered like `S`, `@` like `I4`. */
export function answerTo(command: MtsicsCommand): string {
  return command === '@' ? 'I4' : command === 'SI' || command === 'SIR' ? 'S' : command;
}

/** Escapes what is not printable ASCII as `\xNN`, so the device's answer can be stored as text. */
export function escapeRaw(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out +=
      code < 0x20 || (code >= 0x7f && code <= 0xa0) || code > 0xff || char === '\\'
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : char;
  }
  return out;
}

const LINE = /^([A-Z][A-Z0-9]{0,3}|@)(?: +([A-Z+-]))?(?: +(.*))?$/;

/**
 * Takes an answer line (without its CR LF) apart, or gives `null` for a line that is not MT-SICS:
 * control characters, lower case, a missing status where one is due.
 */
export function parseAnswer(line: string): MtsicsAnswer | null {
  if (!/^[\x20-\x7e\xb0-\xff]+$/.test(line)) return null;
  const match = LINE.exec(line.trimEnd());
  if (!match) return null;
  const [, command = '', status = '', rest = ''] = match;
  if (command in ERROR_MEANINGS) return status === '' && rest === '' ? { command, status, rest } : null;
  if (status === '') return null;
  return { command, status, rest };
}

/** `true` for `ES`, `ET` and `EL`: the scale refused the command itself. */
export function isErrorCode(answer: MtsicsAnswer): boolean {
  return answer.command in ERROR_MEANINGS;
}

/** The meaning of a status letter that says a command was not carried out, or of an error code. */
export function refusalMeaning(answer: MtsicsAnswer): string {
  return (
    ERROR_MEANINGS[answer.command] ??
    STATUS_MEANINGS[answer.status] ??
    `status ${answer.status} is not defined for ${answer.command}`
  );
}

const WEIGHT = /^(-?\d+(?:\.\d+)?|-?\.\d+) *(\S+)?$/;

/**
 * A weight with its unit from the part of an answer after its status (`    100.00 g`), or `null`
 * when it is not a number.
 */
export function parseValue(rest: string): { value: number; unit: string | null } | null {
  const match = WEIGHT.exec(rest.trim());
  if (!match) return null;
  const value = Number(match[1]);
  return Number.isFinite(value) ? { value, unit: match[2] ?? null } : null;
}

/**
 * A weight answer to `S`, `SI` or `SIR`: `S S` stable, `S D` dynamic, `S +` overload, `S -`
 * underload. `null` when the status is another one (`S I`) or the weight is not a number.
 */
export function parseWeight(answer: MtsicsAnswer): MtsicsWeight | null {
  if (answer.command !== 'S') return null;
  if (answer.status === '+' || answer.status === '-') {
    return { value: null, unit: null, status: answer.status === '+' ? 'overload' : 'underload' };
  }
  if (answer.status !== 'S' && answer.status !== 'D') return null;
  const weight = parseValue(answer.rest);
  if (!weight) return null;
  return { ...weight, status: answer.status === 'S' ? 'ok' : 'unstable' };
}

/** The text between double quotes of an identity answer (`I4 A "B123456789"`), or `null`. */
export function parseQuoted(rest: string): string | null {
  const match = /^"([^"]*)"/.exec(rest.trim());
  return match ? (match[1] ?? '') : null;
}

/** Formats a number and unit for a preset (`TA 12.50 g`): no exponent, at most 6 decimals. */
export function formatValue(value: number, unit: string): string {
  return `${Number(value.toFixed(6)).toString()} ${unit}`;
}
