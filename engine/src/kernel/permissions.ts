import { NotAllowedError } from './errors.ts';

/** Every act that needs authority (A2). */
export const PERMISSIONS = {
  'records.create': 'Start records',
  'records.edit': 'Enter and correct values in records',
  'records.perform': 'Sign steps as performed',
  'records.verify': 'Verify another person’s entries',
  'records.review': 'Review records',
  'records.approve': 'Approve or reject records',
  'records.release': 'Certify and release batches (qualified person)',
  'records.void': 'Void records',
  'records.reopen': 'Reopen closed records (e-signed, with a reason)',
  'records.migrate': 'Move running records to the effective version of their template (e-signed)',
  'records.change': 'Skip, repeat or add steps in running records (e-signed, reasoned)',
  'incidents.retry': 'Retry incidents with corrected process variables',
  'processes.correlate': 'Send messages and signals into the processes of records',
  'audit.read': 'Read audit trails',
  'users.manage': 'Create, deactivate and reset users',
  'roles.manage': 'Grant and revoke roles, define roles',
  'templates.manage': 'Author templates and make approved versions effective',
  'templates.approve': 'Approve or reject template versions',
  'config.manage': 'Configure plugins and settings',
  'devices.write': 'Write to devices',
  'materials.manage':
    'Keep materials, their specifications and suppliers (specifications and approvals e-signed)',
  'materials.receive': 'Receive material lots, label, sample and move them',
  'materials.release': 'Release or reject material lots (QA, e-signed)',
  'equipment.manage': 'Keep rooms and equipment, and record cleaning, maintenance and calibration',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

/** An authenticated person acting through an open session. */
export interface Principal {
  userId: string;
  username: string;
  printedName: string;
  sessionId: string;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  /** The password is a one-time password or has aged: only changing it is allowed. */
  mustChangePassword: boolean;
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.has(permission)) {
    throw new NotAllowedError(`${principal.username} may not ${PERMISSIONS[permission].toLowerCase()}`);
  }
}

export function eventActor(principal: Principal): { userId: string; printedName: string } {
  return { userId: principal.userId, printedName: principal.printedName };
}
