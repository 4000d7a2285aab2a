import { t } from '@attest/task-form/i18n';
import type { Choice, Role } from '../access.tsx';

export interface User {
  id: string;
  username: string;
  printedName: string;
  email: string | null;
  active: boolean;
  locked: boolean;
  mustChangePassword: boolean;
  passwordChangedAt: string;
  roles: string[];
}

/** A user as created or reset, with the one-time password to hand over (A6). */
export interface WithPassword {
  user: User;
  oneTimePassword: string;
}

/** The roles as choices; `locked` roles are shown but cannot be ticked, with why. */
export function roleChoices(roles: Role[], locked?: (role: Role) => string | null): Choice[] {
  return roles.map((role) => {
    const why = locked?.(role) ?? null;
    return {
      value: role.name,
      title: role.title,
      note: role.description,
      mark: why ?? undefined,
      disabled: why !== null,
    };
  });
}

export const rolesLegend = () => t('admin.users.rolesLegend');

export const who = (user: { printedName: string; username: string }) =>
  `${user.printedName} (${user.username})`;
