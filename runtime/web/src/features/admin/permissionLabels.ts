import type { MessageKey } from '@attest/task-form/i18n/en';

/** Every permission of the engine, in its order, with its words (a test holds this list to the engine's). */
export const PERMISSION_LABELS: Record<string, MessageKey> = {
  'records.create': 'admin.permission.records.create',
  'records.edit': 'admin.permission.records.edit',
  'records.perform': 'admin.permission.records.perform',
  'records.verify': 'admin.permission.records.verify',
  'records.review': 'admin.permission.records.review',
  'records.approve': 'admin.permission.records.approve',
  'records.release': 'admin.permission.records.release',
  'records.void': 'admin.permission.records.void',
  'records.reopen': 'admin.permission.records.reopen',
  'records.migrate': 'admin.permission.records.migrate',
  'records.change': 'admin.permission.records.change',
  'incidents.retry': 'admin.permission.incidents.retry',
  'processes.correlate': 'admin.permission.processes.correlate',
  'audit.read': 'admin.permission.audit.read',
  'users.manage': 'admin.permission.users.manage',
  'roles.manage': 'admin.permission.roles.manage',
  'templates.manage': 'admin.permission.templates.manage',
  'templates.approve': 'admin.permission.templates.approve',
  'config.manage': 'admin.permission.config.manage',
  'devices.write': 'admin.permission.devices.write',
  'materials.manage': 'admin.permission.materials.manage',
  'materials.receive': 'admin.permission.materials.receive',
  'materials.release': 'admin.permission.materials.release',
  'equipment.manage': 'admin.permission.equipment.manage',
};
