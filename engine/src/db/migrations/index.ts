import type { Knex } from 'knex';
import * as foundation from './20261124080000_foundation.ts';
import * as processes from './20261124090000_processes.ts';
import * as jobs from './20261124100000_jobs.ts';
import * as events from './20261124110000_events.ts';
import * as forms from './20261124120000_forms.ts';
import * as templates from './20261124130000_templates.ts';
import * as templateDrafts from './20261124140000_template_drafts.ts';
import * as securityAdministration from './20261207040000_security_administration.ts';
import * as operations from './20261207060000_operations.ts';
import * as exceptionDispositions from './20261207090000_exception_dispositions.ts';
import * as recordReopenings from './20261207130000_record_reopenings.ts';
import * as reviewedTrail from './20261207120000_reviewed_trail.ts';
import * as runTimeChanges from './20261207140000_run_time_changes.ts';
import * as stepsAhead from './20261207160000_steps_ahead.ts';
import * as plugins from './20261207170000_plugins.ts';
import * as devices from './20261207180000_devices.ts';
import * as jobLeases from './20261207190000_job_leases.ts';
import * as deviceReadings from './20261207200000_device_readings.ts';
import * as equipment from './20261208020000_equipment.ts';
import * as materials from './20261208010000_materials.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Migrations in order; listed in code so they run the same from source, a bundle or a test. */
const migrations: Record<string, Migration> = {
  '20261124080000_foundation': foundation,
  '20261124090000_processes': processes,
  '20261124100000_jobs': jobs,
  '20261124110000_events': events,
  '20261124120000_forms': forms,
  '20261124130000_templates': templates,
  '20261124140000_template_drafts': templateDrafts,
  '20261207040000_security_administration': securityAdministration,
  '20261207060000_operations': operations,
  '20261207090000_exception_dispositions': exceptionDispositions,
  '20261207130000_record_reopenings': recordReopenings,
  '20261207120000_reviewed_trail': reviewedTrail,
  '20261207140000_run_time_changes': runTimeChanges,
  '20261207160000_steps_ahead': stepsAhead,
  '20261207170000_plugins': plugins,
  '20261207180000_devices': devices,
  '20261207190000_job_leases': jobLeases,
  '20261207200000_device_readings': deviceReadings,
  '20261208020000_equipment': equipment,
  '20261208010000_materials': materials,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name] as Migration,
};
