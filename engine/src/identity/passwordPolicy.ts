import type { FieldError } from '../errors.ts';
import type { PasswordPolicy } from '../settings.ts';

const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

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
  return errors;
}
