import type { Knex } from 'knex';
import { Findings, type StateFinding } from './state/findings.ts';
import { checkExceptions, checkFormValues, checkForms } from './state/formState.ts';
import { checkRoles, checkUsers } from './state/identityState.ts';
import { checkDefinitions, checkInstances, checkTasks } from './state/processState.ts';
import { checkRecords, checkTemplateVersions } from './state/recordState.ts';
import { checkSignatures } from './state/signatureState.ts';
import { checkDispositions } from './state/exceptionState.ts';
import { checkReopenings } from './state/reopeningState.ts';
import { checkPlugins } from './state/pluginState.ts';
import { checkDevices } from './state/deviceState.ts';
import { checkEquipment } from './state/equipmentState.ts';
import { checkMaterials } from './state/materialState.ts';

export type { StateFinding } from './state/findings.ts';

/**
 * The current state every GMP decision reads, checked against the audit trail it follows from:
 * each table is either rebuilt from its events or proven by a digest its events carry. Sessions,
 * jobs, subscriptions, incidents and counters are operational: no GMP decision reads them.
 */
export async function checkState(
  knex: Knex,
): Promise<{ mismatches: StateFinding[]; unattested: StateFinding[] }> {
  const findings = new Findings();
  for (const check of [
    checkUsers,
    checkRoles,
    checkRecords,
    checkDefinitions,
    checkInstances,
    checkTasks,
    checkFormValues,
    checkExceptions,
    checkDispositions,
    checkSignatures,
    checkReopenings,
    checkForms,
    checkTemplateVersions,
    checkPlugins,
    checkDevices,
    checkEquipment,
    checkMaterials,
  ]) {
    await check(knex, findings);
  }
  return { mismatches: findings.mismatches(), unattested: findings.unattestedRows() };
}
