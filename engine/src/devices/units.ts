/**
 * Units a device may answer in and a field may ask for, and the conversion between two units of
 * one quantity (E6: a reading in another unit than the field's is converted, one of another
 * quantity is refused). Factors are exact decimal ratios to the quantity's base unit.
 */
interface Unit {
  quantity: 'mass' | 'volume' | 'temperature' | 'pressure' | 'fraction' | 'length' | 'time';
  /** value in base unit = value × factor + offset */
  factor: number;
  offset?: number;
}

const UNITS: Record<string, Unit> = {
  µg: { quantity: 'mass', factor: 1e-6 },
  ug: { quantity: 'mass', factor: 1e-6 },
  mg: { quantity: 'mass', factor: 1e-3 },
  g: { quantity: 'mass', factor: 1 },
  kg: { quantity: 'mass', factor: 1e3 },
  t: { quantity: 'mass', factor: 1e6 },
  lb: { quantity: 'mass', factor: 453.59237 },
  oz: { quantity: 'mass', factor: 28.349523125 },
  µL: { quantity: 'volume', factor: 1e-6 },
  uL: { quantity: 'volume', factor: 1e-6 },
  mL: { quantity: 'volume', factor: 1e-3 },
  ml: { quantity: 'volume', factor: 1e-3 },
  L: { quantity: 'volume', factor: 1 },
  l: { quantity: 'volume', factor: 1 },
  '°C': { quantity: 'temperature', factor: 1 },
  C: { quantity: 'temperature', factor: 1 },
  K: { quantity: 'temperature', factor: 1, offset: -273.15 },
  '°F': { quantity: 'temperature', factor: 5 / 9, offset: -32 * (5 / 9) },
  Pa: { quantity: 'pressure', factor: 1 },
  hPa: { quantity: 'pressure', factor: 100 },
  kPa: { quantity: 'pressure', factor: 1e3 },
  MPa: { quantity: 'pressure', factor: 1e6 },
  mbar: { quantity: 'pressure', factor: 100 },
  bar: { quantity: 'pressure', factor: 1e5 },
  '%': { quantity: 'fraction', factor: 1 },
  mm: { quantity: 'length', factor: 1e-3 },
  cm: { quantity: 'length', factor: 1e-2 },
  m: { quantity: 'length', factor: 1 },
  s: { quantity: 'time', factor: 1 },
  min: { quantity: 'time', factor: 60 },
  h: { quantity: 'time', factor: 3600 },
};

/** Whether a field of this unit is filled from a scale by default. */
export const isMassUnit = (unit: string | null): boolean => unit !== null && UNITS[unit]?.quantity === 'mass';

/**
 * The value in the field's unit; the same value when the units are the same or the field has none;
 * an error message when they cannot be converted.
 */
export function convertUnit(value: number, from: string, to: string | null): number | { refused: string } {
  if (to === null || from === to) return value;
  const a = UNITS[from];
  const b = UNITS[to];
  if (!a) return { refused: `the device answered in ${from}, a unit Attest does not know` };
  if (!b) return { refused: `the field’s unit ${to} cannot be converted to` };
  if (a.quantity !== b.quantity)
    return {
      refused: `the device answered in ${from} (${a.quantity}), the field is in ${to} (${b.quantity})`,
    };
  const base = value * a.factor + (a.offset ?? 0);
  // 12 significant digits drop the binary noise of the factors (100.00 g → 0.1 kg, not 0.1000000001).
  return Number(((base - (b.offset ?? 0)) / b.factor).toPrecision(12));
}
