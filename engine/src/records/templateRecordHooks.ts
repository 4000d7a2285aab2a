import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { SYSTEM_ACTOR, type EventActor } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError } from '../kernel/errors.ts';
import { addDuration } from '../feel/feel.ts';
import type { InstanceRow } from '../bpmn/service/processRepository.ts';
import type { PinnedVersion } from '../bpmn/service/migration.ts';
import type { InstanceView, ProcessHooks } from '../bpmn/service/types.ts';
import { formatNumber } from '../templates/package.ts';
import { templateRepository, type TemplateVersionRow } from '../templates/templateRepository.ts';
import { recordSignedContent } from './signedContent.ts';

const templateRef = (v: PinnedVersion) => ({ id: v.templateId, version: v.version, versionId: v.versionId });

/** The next number of a template in a year: the counter row stays locked until the transaction ends. */
export async function nextRecordNumber(
  trx: Knex.Transaction,
  template: TemplateVersionRow,
  now: Date,
): Promise<string> {
  const year = now.getUTCFullYear();
  const { rows } = await trx.raw<{ rows: { last: number }[] }>(
    `INSERT INTO record_counters (template_id, year, last) VALUES (?, ?, 1)
     ON CONFLICT (template_id, year) DO UPDATE SET last = record_counters.last + 1
     RETURNING last`,
    [template.template_id, year],
  );
  return formatNumber(template.manifest.numbering, { year, seq: rows[0]!.last });
}

/** Writes a record row and its record.created event. */
export async function insertTemplateRecord(
  trx: Knex.Transaction,
  clock: Clock,
  actor: EventActor,
  row: {
    id: string;
    number: string;
    title: string;
    template: TemplateVersionRow;
    instanceId: string;
    createdBy: string;
    ownerId: string;
    parentId: string | null;
    raisedFromId: string | null;
    at: Date;
  },
): Promise<void> {
  const { template } = row;
  const due = template.manifest.recordDue ? addDuration(row.at, template.manifest.recordDue) : null;
  await trx('records').insert({
    id: row.id,
    number: row.number,
    kind: template.kind,
    title: row.title,
    status: 'open',
    content: JSON.stringify({}),
    version: 1,
    created_at: row.at,
    created_by: row.createdBy,
    updated_at: row.at,
    template_version_id: template.id,
    instance_id: row.instanceId,
    owner_id: row.ownerId,
    due_at: due,
    parent_id: row.parentId,
    raised_from_id: row.raisedFromId,
  });
  await appendEvents(trx, clock, { id: row.id, type: 'record' }, actor, [
    {
      type: 'record.created',
      payload: {
        number: row.number,
        kind: template.kind,
        title: row.title,
        status: 'open',
        content: {},
        template: { id: template.template_id, version: template.version, versionId: template.id },
        instanceId: row.instanceId,
        ownerId: row.ownerId,
        dueAt: due?.toISOString() ?? null,
        parentId: row.parentId,
        raisedFromId: row.raisedFromId,
      },
    },
  ]);
}

/**
 * What the records of templates add to execution, made before the process service that calls
 * them: called templates start as linked records, their processes start only so, and a migration
 * moves the record's pin with its instance.
 */
export function createTemplateRecordHooks({ knex, clock }: { knex: Knex; clock: Clock }): ProcessHooks {
  return {
    async call(trx: Knex.Transaction, key: string, caller: InstanceRow, callerVariables) {
      if (!(await templateRepository.deployedKey(trx, key))) return null;
      const template = await templateRepository.effective(trx, key);
      if (!template?.definition_id) {
        throw new Error(`Template ${key} has no effective version to start a record from`);
      }
      const definition = await trx('process_definitions').where({ id: template.definition_id }).first();
      const parent = await trx('records')
        .where({ instance_id: caller.id })
        .first('id', 'number', 'created_by', 'owner_id');
      const at = clock.now();
      const number = await nextRecordNumber(trx, template, at);
      const title = parent ? `${template.title} for ${parent.number}` : template.title;
      return {
        definition,
        businessKey: number,
        variables: {
          ...(template.manifest.parameters ?? {}),
          ...callerVariables,
          title,
          recordNumber: number,
          ...(parent && { parentRecord: parent.number }),
        },
        async started(child: InstanceView) {
          await insertTemplateRecord(trx, clock, SYSTEM_ACTOR, {
            id: randomUUID(),
            number,
            title,
            template,
            instanceId: child.id,
            createdBy: parent?.created_by ?? caller.started_by!,
            ownerId: parent?.owner_id ?? caller.started_by!,
            parentId: parent?.id ?? null,
            raisedFromId: null,
            at,
          });
        },
      };
    },
    async refuseStart(key: string) {
      return (await templateRepository.deployedKey(knex, key))
        ? `The process ${key} belongs to the template ${key}: start a record from its effective version instead (D2)`
        : null;
    },
    async isTemplateProcess(db, key) {
      return (await db('template_versions').where({ template_id: key }).first('id')) !== undefined;
    },
    records: {
      async pinOf(db, instanceId) {
        const row = await db('records as r')
          .join('template_versions as tv', 'tv.id', 'r.template_version_id')
          .where('r.instance_id', instanceId)
          .first('r.id', 'r.number', 'tv.id as version_id', 'tv.template_id', 'tv.version');
        if (!row) return null;
        const effective = await templateRepository.effective(db, row.template_id);
        return {
          recordId: row.id,
          number: row.number,
          template: { templateId: row.template_id, version: row.version, versionId: row.version_id },
          effective: effective
            ? {
                templateId: effective.template_id,
                version: effective.version,
                versionId: effective.id,
                definitionId: effective.definition_id,
              }
            : null,
        };
      },
      signedContent: recordSignedContent,
      async repin(trx, pin, to, actor, details) {
        const moved = await trx('records')
          .where({ id: pin.recordId, template_version_id: pin.template.versionId })
          .update({ template_version_id: to.versionId, updated_at: clock.now() });
        if (moved !== 1) {
          throw new ConflictError(
            `Record ${pin.number} was moved by someone else at the same time; reload it`,
          );
        }
        await appendEvents(trx, clock, { id: pin.recordId, type: 'record' }, actor, [
          {
            type: 'record.migrated',
            payload: {
              changes: [{ path: '/template', old: templateRef(pin.template), new: templateRef(to) }],
              signatureId: details.signatureId,
            },
            reason: details.reason,
          },
        ]);
      },
    },
  };
}
