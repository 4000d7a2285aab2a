import type { Rounding } from './types.ts';

/** Decimal places a value has as written (1.50 → 1, 1e-7 → 7). */
export function decimalPlaces(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return 0;
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** Decimal places that keep `digits` significant digits of a value. */
export function decimalsForSignificant(value: number, digits: number): number {
  if (value === 0) return Math.max(0, digits - 1);
  return Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value))));
}

/**
 * Rounds to a number of decimals in decimal arithmetic (1.005 → 1.01, not 1.00): half away from
 * zero (the usual rule for reported results, USP <7>), or half to even.
 */
export function roundTo(value: number, decimals: number, rounding: Exclude<Rounding, 'refuse'>): number {
  const sign = value < 0 ? -1 : 1;
  // The shortest text that reads back as the number is the decimal a person wrote (67.475, not
  // 67.474999999999994...); only tiny or huge numbers need the fixed form.
  const shortest = String(Math.abs(value));
  const text = shortest.includes('e') ? Math.abs(value).toFixed(Math.min(100, decimals + 12)) : shortest;
  const [whole, fraction = ''] = text.split('.') as [string, string?];
  const kept = fraction.slice(0, decimals);
  const rest = fraction.slice(decimals);
  const digits = BigInt(whole + kept);
  const half = rest.length > 0 && rest[0]! >= '5';
  const exactlyHalf = /^50*$/.test(rest);
  let up = half;
  if (rounding === 'halfEven' && exactlyHalf) up = digits % 2n === 1n;
  const rounded = (digits + (up ? 1n : 0n)).toString().padStart(decimals + 1, '0');
  const result = decimals === 0 ? rounded : `${rounded.slice(0, -decimals)}.${rounded.slice(-decimals)}`;
  const rounded_ = Number(result);
  return rounded_ === 0 ? 0 : sign * rounded_;
}

/** A number as a person reads it in a message: with the field's decimals when it has them. */
export function formatNumber(value: number, decimals: number | null): string {
  return decimals === null ? String(value) : value.toFixed(decimals);
}
