import { BpmnError, type ServiceContext, type ServiceHandler } from '@attest/plugin-api';
import { checkDigitOf, hasValidCheckDigit, KEY_LENGTHS } from './checkDigit.ts';
import { GS1_ERRORS, parseElementString } from './elementString.ts';

export { checkDigitOf, hasValidCheckDigit } from './checkDigit.ts';
export { GS1_ERRORS, parseElementString, type ElementString } from './elementString.ts';

/** The settings of `package.json`'s `attest.settings`. */
export interface Gs1Settings {
  /** What the scanners send for FNC1 after a variable-length field; GS (U+001D) unless given. */
  groupSeparator?: string;
}

/** One character outside GS1 character set 82, as `attest.settings` says. */
const SEPARATOR = /^[^!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]$/;

/** A variable the model must give, as a string; its absence is a fault of the model, not of the code. */
function text(context: ServiceContext, name: string): string | undefined {
  const value = context.variables[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be a string, not ${typeof value}`);
  return value;
}

/**
 * `gs1.checkDigit`: given `code` (a GTIN-8, -12, -13, -14 or an SSCC with its check digit), checks
 * it; given `digits` (the same without the check digit), computes it. Sets `code` and `checkDigit`.
 */
const checkDigit: ServiceHandler = (context) => {
  const code = text(context, 'code');
  const digits = text(context, 'digits');
  if ((code === undefined) === (digits === undefined))
    throw new Error('gs1.checkDigit needs either the variable code (to check) or digits (to complete)');
  const given = (code ?? digits)!;
  const lengths = code === undefined ? KEY_LENGTHS.map((n) => n - 1) : [...KEY_LENGTHS];
  if (!/^\d+$/.test(given) || !lengths.includes(given.length))
    throw new BpmnError(
      GS1_ERRORS.syntax,
      `"${given}" is not ${lengths.join(', ')} digits: no GTIN or SSCC${code === undefined ? ' without its check digit' : ''}`,
    );
  if (code !== undefined && !hasValidCheckDigit(code))
    throw new BpmnError(
      GS1_ERRORS.checkDigit,
      `The check digit of ${code} is wrong: ${checkDigitOf(code.slice(0, -1))} is expected`,
    );
  const full = code ?? `${digits}${checkDigitOf(digits!)}`;
  return { variables: { code: full, checkDigit: Number(full.at(-1)) } };
};

/** The handlers by `attest:type`, with the plant's settings. */
export function createHandlers(settings: Gs1Settings = {}): Record<string, ServiceHandler> {
  const separator = settings.groupSeparator ?? '\u001d';
  if (!SEPARATOR.test(separator))
    throw new Error('groupSeparator must be one character that no lot or serial number holds');
  return {
    'gs1.checkDigit': checkDigit,
    /**
     * `gs1.parse`: reads the element string in `code` (scanned or as printed) into `gtin`, `lot`,
     * `expiry` (YYYY-MM-DD) and `serial`; one the code does not carry is set to null.
     */
    'gs1.parse': (context) => {
      const code = text(context, 'code');
      if (code === undefined)
        throw new Error('gs1.parse needs the variable code, the scanned element string');
      const read = parseElementString(code, separator, new Date().getUTCFullYear());
      return { variables: { ...read } };
    },
  };
}

/** What Attest registers when the plugin is enabled: the handlers with the default settings. */
export const handlers = createHandlers();
