import { MEANINGS, type Dossier, type Engine, type Principal } from '@attest/engine';
import { recordPrintout } from '../../printout/recordPrintout.ts';
import { auditQuery, auditReply, auditResponses, readTrail } from '../auditExport.ts';
import { listOf, ref, type Wire } from '../components.ts';
import type { valueSource } from '../components/shared.ts';
import { created, download, json, ok, operation } from '../operation.ts';
import {
  boolean,
  dateTime,
  LIMITS,
  object,
  oneOf,
  password,
  requiredText,
  text,
  uuid,
  type Schema,
} from '../schema.ts';
import { variables, variablesOf } from './processes.ts';
import { templateId } from './templates.ts';

const recordId = object({ id: uuid('Record id') }, ['id']);

const PDF = { type: 'string', contentMediaType: 'application/pdf', description: 'A PDF document' } as const;

/** A record by its id or its number (e.g. DEV-2026-0001; a `/` in a number is sent as %2F). */
const recordRef = (description: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: 100,
    pattern: '^[A-Za-z0-9][A-Za-z0-9_./-]*$',
    description,
  }) as const satisfies Schema;

const recordStart = object(
  {
    template: { ...templateId, description: 'The template whose effective version the record starts from' },
    title: requiredText(LIMITS.name, 'What the record is about'),
    variables: { ...variables, description: 'Process variables beyond the template’s parameters' },
    raisedFrom: {
      ...recordRef('The record this one is raised from, by id or number'),
      type: ['string', 'null'],
    },
    parameterSet: {
      type: 'string',
      maxLength: 60,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description:
        'The template’s parameter set the record starts from, e.g. a product’s recipe; required when the template has sets',
    },
  },
  ['template', 'title'],
);

const recordFilter = object(
  {
    q: text(LIMITS.name, 'Part of the number or the title'),
    number: text(100, 'Part of the number'),
    template: { ...templateId, description: 'Only records of this template' },
    kind: text(60, 'Only records of this kind, e.g. deviation'),
    status: text(60, 'Only records in this status, e.g. open'),
    owner: text(LIMITS.name, 'Only records this user owns (user name)'),
    dueBefore: dateTime('Only records due before this instant'),
    overdue: oneOf(['true', 'false'], 'Only records that are (true) or are not (false) overdue'),
    parent: uuid('Only records the process of this record started'),
    limit: {
      type: 'string',
      maxLength: 3,
      pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$',
      description: 'At most this many, 1 to 200 (default 50)',
    },
    offset: {
      type: 'string',
      maxLength: 9,
      pattern: '^(0|[1-9][0-9]{0,8})$',
      description: 'Skip this many (default 0)',
    },
  },
  [],
);

/** A record's own fields with its template version, process, owner, due date, links and open tasks. */
async function recordOf(engine: Engine, principal: Principal, idOrNumber: string) {
  const detail = await engine.records.view(principal, idOrNumber);
  return { ...(await engine.records.get(principal, detail.id)), ...detail };
}

const signing = object(
  {
    meaning: oneOf(MEANINGS, 'What the signature means'),
    password: password('The signer’s own password, typed again (B1)'),
    reason: text(LIMITS.reason, 'Why; required for a rejection or an override (B3)'),
    override: boolean('Signing to override a rule, e.g. a limit or the order of steps'),
  },
  ['meaning', 'password'],
);

const reopening = object(
  {
    reason: requiredText(LIMITS.reason, 'Why the closed record is reopened'),
    password: password('The signer’s own password, typed again (B1)'),
  },
  ['reason', 'password'],
);

const withdrawal = object(
  {
    password: password('The signer’s own password, typed again'),
    reason: requiredText(LIMITS.reason, 'Why the signature is withdrawn'),
  },
  ['password', 'reason'],
);

/**
 * The engine hands a value's source over as plain text; it only ever holds the words the schema
 * lists, so the dossier is read as carrying those words.
 */
export const withStoredSources = (dossier: Dossier) =>
  dossier as Dossier & {
    steps: (Dossier['steps'][number] & {
      values: (Dossier['steps'][number]['values'][number] & { source: Wire<typeof valueSource> })[];
    })[];
  };

export function recordOperations(engine: Engine) {
  return [
    operation({
      id: 'startRecord',
      method: 'post',
      path: '/api/records',
      tag: 'records',
      summary: 'Start a record from the effective version of a template (D2)',
      description:
        'The record gets the next number of its template and year, its process instance starts with the ' +
        'template’s parameters, the variables given and the chosen parameter set (which they cannot override), ' +
        'and it stays on this template version for life.',
      access: 'session',
      body: recordStart,
      responses: { 201: json('The record', ref('Record')) },
      problems: [404, 409],
      handle: async ({ principal, body }) => {
        const started = await engine.records.start(principal, {
          template: body.template,
          title: body.title,
          variables: variablesOf(body),
          raisedFrom: body.raisedFrom,
          parameterSet: body.parameterSet,
        });
        return created(await recordOf(engine, principal, started.id), `/api/records/${started.id}`);
      },
    }),
    operation({
      id: 'listRecords',
      method: 'get',
      path: '/api/records',
      tag: 'records',
      summary: 'Find records by number, title, template, kind, status, owner and due date; newest first',
      access: 'session',
      query: recordFilter,
      responses: {
        200: json(
          'One page of the records found, and how many there are in all',
          listOf('records', 'RecordSummary', 'Records found', {
            total: { type: 'integer', minimum: 0, description: 'How many records match in all' },
          }),
        ),
      },
      handle: async ({ principal, query }) => {
        const { overdue, limit, offset, ...filter } = query;
        return ok(
          await engine.records.list(principal, {
            ...filter,
            ...(overdue !== undefined && { overdue: overdue === 'true' }),
            ...(limit !== undefined && { limit: Number(limit) }),
            ...(offset !== undefined && { offset: Number(offset) }),
          }),
        );
      },
    }),
    operation({
      id: 'getRecord',
      method: 'get',
      path: '/api/records/{record}',
      tag: 'records',
      summary: 'One record, by id or number, with its template version, process, links and open tasks',
      access: 'session',
      params: object({ record: recordRef('Record id or number, e.g. DEV-2026-0001') }, ['record']),
      responses: { 200: json('The record', ref('Record')) },
      handle: async ({ principal, params }) => ok(await recordOf(engine, principal, params.record)),
    }),
    operation({
      id: 'reviewQueue',
      method: 'get',
      path: '/api/review-queue',
      tag: 'records',
      summary:
        'Steps waiting for this person to review, approve or release; records with high exceptions first (F4)',
      access: 'session',
      responses: { 200: json('The queue', listOf('items', 'ReviewItem', 'The review queue')) },
      handle: async ({ principal }) => ok({ items: await engine.records.reviewQueue(principal) }),
    }),
    operation({
      id: 'reviewLeadTimes',
      method: 'get',
      path: '/api/review-lead-times',
      tag: 'records',
      summary:
        'How long review steps waited: from the process reaching the step to the signature that completed it; newest first',
      description:
        'Reviews, approvals, releases and rejections that completed a step, with the record and template, ' +
        'the signer, when the step was reached and signed, and the lead time in seconds; with their median.',
      access: 'session',
      query: object(
        {
          since: dateTime('Only reviews signed at or after this instant'),
          until: dateTime('Only reviews signed before this instant'),
          template: { ...templateId, description: 'Only records of this template' },
          limit: {
            type: 'string',
            maxLength: 4,
            pattern: '^([1-9][0-9]{0,2}|1000)$',
            description: 'At most this many, 1 to 1000 (default 100)',
          },
        },
        [],
      ),
      responses: { 200: json('The lead times', ref('ReviewLeadTimes')) },
      handle: async ({ principal, query }) => {
        const { limit, ...filter } = query;
        return ok(
          await engine.records.reviewLeadTimes(principal, {
            ...filter,
            ...(limit !== undefined && { limit: Number(limit) }),
          }),
        );
      },
    }),
    operation({
      id: 'recordDossier',
      method: 'get',
      path: '/api/records/{record}/dossier',
      tag: 'records',
      summary:
        'Everything a reviewer reads of a record: steps with values and provenance, exceptions, changes after entry, signatures, audit trail (D5)',
      access: 'session',
      params: object({ record: recordRef('Record id or number, e.g. DEV-2026-0001') }, ['record']),
      responses: { 200: json('The dossier', ref('Dossier')) },
      handle: async ({ principal, params }) =>
        ok(withStoredSources(await engine.records.dossier(principal, params.record))),
    }),
    operation({
      id: 'recordPrintout',
      method: 'get',
      path: '/api/records/{record}/printout',
      tag: 'records',
      summary:
        'The record as a PDF: steps with values and provenance, changes after entry marked, exceptions, signatures, audit trail (D5, D6)',
      description:
        'Times are printed in the plant’s time zone (setting plant.timeZone) with their offset from UTC. ' +
        'Characters the standard PDF font cannot show are printed as code points unless a font is ' +
        'configured (setting printout.font).',
      access: 'session',
      params: object({ record: recordRef('Record id or number, e.g. DEV-2026-0001') }, ['record']),
      responses: { 200: { description: 'The printout, as a download', content: { 'application/pdf': PDF } } },
      handle: async ({ principal, params }) => {
        const dossier = await engine.records.dossier(principal, params.record);
        const pdf = await recordPrintout(dossier, {
          timeZone: engine.settings.plant.timeZone,
          fontPath: engine.settings.printout.font,
        });
        // A number may hold a `/`, which no file name can.
        return download(
          pdf,
          'application/pdf',
          `${dossier.record.number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`,
        );
      },
    }),
    operation({
      id: 'reopenRecord',
      method: 'post',
      path: '/api/records/{record}/reopenings',
      tag: 'records',
      summary: 'Reopen a closed record: privileged, with a reason, e-signed as Reopened (D4)',
      description:
        'Needs the permission records.reopen. The record becomes reopened: it takes signatures again, ' +
        'counts as open, and closes again only with a new Approved signature by someone other than the ' +
        'person who reopened it. Its earlier signatures stay, flagged as preceding the reopening.',
      access: 'session',
      params: object({ record: recordRef('Record id or number, e.g. DEV-2026-0001') }, ['record']),
      body: reopening,
      responses: { 201: json('The record, now reopened', ref('Record')) },
      problems: [404, 409, 423],
      handle: async ({ principal, params, body }) => {
        const reopened = await engine.records.reopen(principal, params.record, body);
        return created(await recordOf(engine, principal, reopened.id), `/api/records/${reopened.id}`);
      },
    }),
    operation({
      id: 'batchDeviations',
      method: 'get',
      path: '/api/batches/{batch}/deviations',
      tag: 'records',
      summary: 'The open deviations that affect a batch, and whether one is critical (F5)',
      access: 'session',
      params: object({ batch: requiredText(100, 'Batch number') }, ['batch']),
      responses: { 200: json('The open deviations', ref('BatchDeviations')) },
      handle: async ({ principal, params }) =>
        ok(await engine.records.batchDeviations(principal, params.batch)),
    }),
    operation({
      id: 'recordAuditTrail',
      method: 'get',
      path: '/api/records/{id}/audit',
      tag: 'records',
      summary: 'The audit trail of a record, filtered by user, time and field; as JSON or CSV (C5)',
      access: 'session',
      params: recordId,
      query: auditQuery,
      responses: auditResponses,
      handle: async ({ principal, params, query }) => {
        await engine.records.get(principal, params.id);
        return auditReply(await readTrail(engine, principal, params.id, query), query.format, params.id);
      },
    }),
    operation({
      id: 'listSignatures',
      method: 'get',
      path: '/api/records/{id}/signatures',
      tag: 'signatures',
      summary:
        'The signatures of a record, each with its manifestation and whether the record changed since (B2, B4)',
      access: 'session',
      params: recordId,
      responses: {
        200: json('The signatures, oldest first', listOf('signatures', 'Signature', 'Signatures')),
      },
      handle: async ({ principal, params }) =>
        ok({ signatures: await engine.signatures.list(principal, params.id) }),
    }),
    operation({
      id: 'signRecord',
      method: 'post',
      path: '/api/records/{id}/signatures',
      tag: 'signatures',
      summary: 'Sign a record (B1–B6)',
      description:
        'The password is typed again; a rejection or an override needs a reason; the signer needs the ' +
        'authority for the meaning and may not sign what segregation of duties forbids.',
      access: 'session',
      params: recordId,
      body: signing,
      responses: { 201: json('The signature with its manifestation', ref('Signature')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        created(await engine.signatures.sign(principal, params.id, body)),
    }),
    operation({
      id: 'withdrawSignature',
      method: 'post',
      path: '/api/signatures/{id}/withdraw',
      tag: 'signatures',
      summary: 'Withdraw one’s own signature: a new signed event; the signature stays (B7)',
      access: 'session',
      params: object({ id: uuid('Signature id') }, ['id']),
      body: withdrawal,
      responses: { 200: json('The signature, now withdrawn', ref('Signature')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.signatures.withdraw(principal, params.id, body)),
    }),
  ];
}
