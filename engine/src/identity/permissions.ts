import type { Permission } from '../kernel/permissions.ts';

// The catalogue of permissions and the principal are the kernel's, since every folder checks
// authority; identity adds the roles made of them.
export * from '../kernel/permissions.ts';

export interface RoleDefinition {
  name: string;
  title: string;
  description: string;
  permissions: Permission[];
}

/** The roles a new installation starts with; administrators define more. */
export const BUILT_IN_ROLES: RoleDefinition[] = [
  {
    name: 'operator',
    title: 'Operator',
    description: 'Executes SOP steps on the shop floor',
    permissions: [
      'records.create',
      'records.edit',
      'records.perform',
      'records.verify',
      'audit.read',
      'materials.receive',
    ],
  },
  {
    name: 'qa',
    title: 'QA reviewer',
    description: 'Reviews records by exception, approves or rejects, authors templates',
    permissions: [
      'records.create',
      'records.edit',
      'records.perform',
      'records.verify',
      'records.review',
      'records.approve',
      'records.void',
      'records.reopen',
      'records.migrate',
      'records.change',
      'incidents.retry',
      'processes.correlate',
      'audit.read',
      'templates.manage',
      'templates.approve',
      'materials.manage',
      'materials.receive',
      'materials.release',
      'equipment.manage',
    ],
  },
  {
    name: 'qp',
    title: 'Qualified person',
    description: 'Certifies and releases batches',
    permissions: [
      'records.review',
      'records.approve',
      'records.release',
      'records.change',
      'audit.read',
      'templates.approve',
    ],
  },
  {
    name: 'admin',
    title: 'Administrator',
    description: 'Manages users, roles and configuration; performs no GMP acts',
    permissions: ['users.manage', 'roles.manage', 'config.manage', 'audit.read'],
  },
];
