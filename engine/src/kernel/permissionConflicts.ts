import { InputError } from './errors.ts';
import { PERMISSIONS, type Permission } from './permissions.ts';

/** Two permissions nobody may hold together, through one role or the union of their roles (B5). */
export type PermissionConflict = readonly [Permission, Permission];

/** Administering access. */
const SECURITY_ADMINISTRATION: Permission[] = ['users.manage', 'roles.manage'];
/** Deciding on GMP records and procedures. */
export const GMP_APPROVAL: Permission[] = [
  'records.review',
  'records.approve',
  'records.release',
  'materials.release',
  'records.reopen',
  'templates.approve',
];

/**
 * By default whoever administers users and roles holds no GMP approval authority: otherwise an
 * administrator could grant themselves the right to approve and then approve.
 */
export const DEFAULT_PERMISSION_CONFLICTS: PermissionConflict[] = SECURITY_ADMINISTRATION.flatMap((a) =>
  GMP_APPROVAL.map((b) => [a, b] as const),
);

/** The pairs of the matrix that a set of permissions contains. */
export function conflictsIn(
  permissions: Iterable<string>,
  matrix: readonly PermissionConflict[],
): PermissionConflict[] {
  const held = new Set(permissions);
  return matrix.filter(([a, b]) => held.has(a) && held.has(b));
}

export const describeConflicts = (pairs: readonly PermissionConflict[]) =>
  pairs.map(([a, b]) => `${a} with ${b}`).join(', ');

/** Refuses a set of permissions that contains a conflicting pair, pointing at the input. */
export function refuseConflicts(
  permissions: Iterable<string>,
  matrix: readonly PermissionConflict[],
  pointer: string,
  whose: string,
): void {
  const pairs = conflictsIn(permissions, matrix);
  if (pairs.length > 0) {
    const detail = describeConflicts(pairs);
    throw new InputError(`${whose} would combine permissions that must stay apart: ${detail}`, [
      { pointer, keyword: 'segregation', message: `combines conflicting permissions: ${detail}` },
    ]);
  }
}

/** Checks a configured matrix names only known permissions, so a typo cannot switch a rule off. */
export function checkConflictMatrix(matrix: unknown): PermissionConflict[] {
  if (!Array.isArray(matrix)) throw new RangeError('permissionConflicts must be a list of pairs');
  return matrix.map((pair, i) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      pair.some((p) => typeof p !== 'string' || !Object.hasOwn(PERMISSIONS, p)) ||
      pair[0] === pair[1]
    ) {
      throw new RangeError(
        `permissionConflicts[${i}] must be two different permissions, not ${JSON.stringify(pair)}`,
      );
    }
    return [pair[0], pair[1]] as const;
  });
}
