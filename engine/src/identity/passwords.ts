import argon2 from 'argon2';
import { randomInt } from 'node:crypto';
import type { Settings } from '../kernel/settings.ts';

export function hashPassword(password: string, settings: Settings): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, ...settings.argon2 });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

const ALPHABETS = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-.!?#%'];

/** A one-time password an administrator hands over (A6): unambiguous characters of every class. */
export function generateOneTimePassword(length = 16): string {
  const all = ALPHABETS.join('');
  const chars = ALPHABETS.map((a) => a[randomInt(a.length)] as string);
  while (chars.length < length) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

/** A hash that matches nothing, verified against when the user is unknown so timing tells nothing. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(settings: Settings): Promise<string> {
  dummyHash ??= hashPassword(generateOneTimePassword(), settings);
  return dummyHash;
}
