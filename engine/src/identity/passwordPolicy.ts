import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import type { FieldError } from '../kernel/errors.ts';
import type { PasswordPolicy } from '../kernel/settings.ts';

const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

/**
 * Strength is estimated offline against lists of common and breached passwords, names and words,
 * with the patterns crackers try (l33t, dates, keyboard walks, a word with digits appended):
 * `Password123!` has every character class and is still among the first guesses.
 */
let estimator: ZxcvbnFactory | undefined;
const strength = (password: string, userInputs: string[]) => {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return estimator.check(password, userInputs).score;
};

/** What is wrong with a new password, in words a user can act on (A4); empty when it is fine. */
export function checkPassword(
  password: string,
  policy: PasswordPolicy,
  user: { username: string; printedName?: string },
  pointer = '/newPassword',
): FieldError[] {
  const errors: FieldError[] = [];
  if (password.length < policy.minLength) {
    errors.push({
      pointer,
      keyword: 'minLength',
      message: `must be at least ${policy.minLength} characters long`,
    });
  }
  const classes = CLASSES.filter((re) => re.test(password)).length;
  if (classes < policy.minClasses) {
    errors.push({
      pointer,
      keyword: 'complexity',
      message: `must mix at least ${policy.minClasses} of: lower-case letters, upper-case letters, digits, other characters`,
    });
  }
  const lower = password.toLowerCase();
  const names = [user.username, ...(user.printedName ?? '').split(/\s+/)].filter((n) => n.length >= 3);
  if (names.some((n) => lower.includes(n.toLowerCase()))) {
    errors.push({
      pointer,
      keyword: 'personal',
      message: 'must not contain the user name or the person’s name',
    });
  }
  if (errors.length === 0 && strength(password.slice(0, 256), names) < policy.minStrength) {
    errors.push({
      pointer,
      keyword: 'common',
      message:
        'is too easy to guess: it is or resembles a common or breached password (a word with digits and ' +
        'symbols added counts as one); choose a few unrelated words',
    });
  }
  return errors;
}
