/** The lengths of GS1 keys with a mod-10 check digit: GTIN-8, -12, -13, -14 and the SSCC. */
export const KEY_LENGTHS = [8, 12, 13, 14, 18] as const;

/**
 * The GS1 mod-10 check digit of the digits before it: from the right, the digits are weighted
 * 3, 1, 3, 1 …, and the check digit brings their sum up to a multiple of ten.
 */
export function checkDigitOf(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether a key's last digit is the check digit of the digits before it. */
export function hasValidCheckDigit(key: string): boolean {
  return checkDigitOf(key.slice(0, -1)) === Number(key.at(-1));
}
