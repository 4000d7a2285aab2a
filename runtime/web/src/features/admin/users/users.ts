import { t } from '@attest/task-form/i18n';
import type { Schemas } from '../../../api/client.ts';
import type { Choice, Role } from '../access.tsx';

export type User = Schemas['User'];

/** A user as created or reset, with the one-time password to hand over (A6). */
export type WithPassword = Schemas['UserWithOneTimePassword'];

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
