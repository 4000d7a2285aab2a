import {
  BASE_UNITS,
  LOT_STATUSES,
  MATERIAL_TYPES,
  SAMPLING_PLANS,
  SUPPLIER_STATUSES,
  type Engine,
} from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { LIMITS, list, name, object, oneOf, password, requiredText, text, uuid } from '../schema.ts';

const CODE = '^[A-Z0-9][A-Z0-9._-]{1,39}$';
const LOT_NUMBER = '^[A-Z0-9][A-Z0-9._-]{1,59}$';
const code = (description: string) => name(CODE, 40, description);
const months = (description: string) => ({ type: 'integer', minimum: 1, maximum: 600, description }) as const;
/** A quantity as a person enters it, in the material's base unit. */
const quantity = (description: string, exclusiveMinimum: number | null = 0) =>
  ({
    type: 'number',
    ...(exclusiveMinimum === null ? {} : { exclusiveMinimum }),
    maximum: 1e12,
    description,
  }) as const;
const version = { type: 'integer', minimum: 1, description: 'The version it was read at' } as const;
const reason = (description: string) => requiredText(LIMITS.reason, description);

const facts = {
  code: code('The plant’s material code, e.g. PCM'),
  name: requiredText(LIMITS.name, 'What it is, for people'),
  type: oneOf(MATERIAL_TYPES, 'What kind of material'),
  baseUnit: oneOf(BASE_UNITS, 'Unit its stock is kept in'),
  storageConditions: text(500, 'How it is stored, as the label states it'),
  retestMonths: months('Months from receipt to retest; left out when none'),
  shelfLifeMonths: months('Months from receipt to expiry when the supplier states none; left out when none'),
  samplingPlan: oneOf(SAMPLING_PLANS, 'Containers sampled: √n + 1, all, or the first'),
  lotNumberPattern: requiredText(60, 'Internal lot number, e.g. {material}-{YY}-{seq:4}'),
  reason: reason('Why it is created or changed (kept in its audit trail)'),
} as const;
const REQUIRED = ['code', 'name', 'type', 'baseUnit', 'samplingPlan', 'lotNumberPattern', 'reason'] as const;
const materialCode = object({ code: code('Material code') }, ['code']);
const lotNumber = object({ number: name(LOT_NUMBER, 60, 'Lot number') }, ['number']);
const signed = {
  password: password('The signer’s password, again'),
  reason: reason('Why (kept with the signature)'),
  version,
} as const;

/** A material as the engine takes it: what is left out is none. */
const materialInput = <
  B extends { storageConditions?: string; retestMonths?: number; shelfLifeMonths?: number },
>(
  body: B,
) => ({
  ...body,
  storageConditions: body.storageConditions ?? null,
  retestMonths: body.retestMonths ?? null,
  shelfLifeMonths: body.shelfLifeMonths ?? null,
});

/** Materials, their suppliers and specifications; lots, their lifecycle, containers and stock (F3). */
export function materialOperations(engine: Engine) {
  return [
    operation({
      id: 'listMaterials',
      method: 'get',
      path: '/api/materials',
      tag: 'materials',
      summary: 'The materials, with their specifications and approved suppliers',
      description: 'Needs a materials permission or audit.read.',
      access: 'session',
      responses: { 200: json('The materials by code', listOf('materials', 'Material', 'Materials by code')) },
      handle: async ({ principal }) => ok({ materials: await engine.materials.list(principal) }),
    }),
    operation({
      id: 'createMaterial',
      method: 'post',
      path: '/api/materials',
      tag: 'materials',
      summary: 'Create a material, with a reason',
      description:
        'Needs materials.manage. Its specification and suppliers are set afterwards, each by a signed act.',
      access: 'session',
      body: object(facts, REQUIRED),
      responses: { 201: json('The material', ref('Material')) },
      problems: [409],
      handle: async ({ principal, body }) => {
        const material = await engine.materials.create(principal, materialInput(body));
        return created(material, `/api/materials/${material.code}`);
      },
    }),
    operation({
      id: 'importMaterials',
      method: 'post',
      path: '/api/materials/import',
      tag: 'materials',
      summary: 'Create materials from CSV, for the first load: all of them or none',
      description:
        'Needs materials.manage. The header names the columns (code, name, type, baseUnit, samplingPlan, ' +
        'lotNumberPattern required; storageConditions, retestMonths, shelfLifeMonths optional). Every row ' +
        'is checked before any is written; problems point at `/csv/lines/{line}/{column}`.',
      access: 'session',
      body: object(
        {
          csv: requiredText(1_000_000, 'The CSV text, RFC 4180, with a header row'),
          reason: reason('Why they are created (kept in each material’s audit trail)'),
        },
        ['csv', 'reason'],
      ),
      bodyLimitKb: 1024,
      responses: { 201: json('The materials created', listOf('materials', 'Material', 'By code')) },
      problems: [409],
      handle: async ({ principal, body }) =>
        created({ materials: await engine.materials.importCsv(principal, body) }),
    }),
    operation({
      id: 'getMaterial',
      method: 'get',
      path: '/api/materials/{code}',
      tag: 'materials',
      summary: 'One material',
      access: 'session',
      params: materialCode,
      responses: { 200: json('The material', ref('Material')) },
      problems: [404],
      handle: async ({ principal, params }) => ok(await engine.materials.get(principal, params.code)),
    }),
    operation({
      id: 'changeMaterial',
      method: 'put',
      path: '/api/materials/{code}',
      tag: 'materials',
      summary: 'Change a material, with a reason',
      description:
        'Needs materials.manage; the whole material is sent with the version it was read at, and a change ' +
        'made meanwhile is refused. Each changed field is kept in its audit trail, old and new.',
      access: 'session',
      params: materialCode,
      body: object({ ...facts, version }, [...REQUIRED, 'version']),
      responses: { 200: json('The material as it now is', ref('Material')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.materials.change(principal, params.code, materialInput(body))),
    }),
    operation({
      id: 'setMaterialSupplier',
      method: 'post',
      path: '/api/materials/{code}/suppliers',
      tag: 'materials',
      summary: 'Approve, approve on conditions or block a supplier of the material: a signed act (Approved)',
      description:
        'Needs materials.manage and the password again. A receipt from a blocked supplier, or one not listed, is refused.',
      access: 'session',
      params: materialCode,
      body: object(
        {
          supplierCode: code('The plant’s supplier code'),
          supplierName: requiredText(LIMITS.name, 'The supplier’s name'),
          status: oneOf(SUPPLIER_STATUSES, 'The approval'),
          ...signed,
        },
        ['supplierCode', 'supplierName', 'status', 'password', 'reason', 'version'],
      ),
      responses: { 200: json('The material with its suppliers', ref('Material')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.materials.setSupplier(principal, params.code, body)),
    }),
    operation({
      id: 'approveSpecification',
      method: 'post',
      path: '/api/materials/{code}/specification',
      tag: 'materials',
      summary: 'Approve the material’s specification: a signed act (Approved) by QA',
      description: 'Needs materials.release and the password again. Each test has limits or allowed results.',
      access: 'session',
      params: materialCode,
      body: object(
        {
          specification: list(
            object(
              {
                name: requiredText(LIMITS.name, 'The test, e.g. Assay'),
                method: requiredText(LIMITS.name, 'The method, e.g. HPLC, USP <621>'),
                unit: text(20, 'The unit of its result'),
                limits: object(
                  {
                    min: { type: 'number', description: 'Lowest result allowed' },
                    max: { type: 'number', description: 'Highest result allowed' },
                  },
                  [],
                  'Numeric limits',
                ),
                allowedResults: list(requiredText(LIMITS.name), 20, 'The results allowed, in words'),
              },
              ['name', 'method'],
            ),
            100,
            'The tests',
          ),
          ...signed,
        },
        ['specification', 'password', 'reason', 'version'],
      ),
      responses: { 200: json('The material with its specification', ref('Material')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.materials.approveSpecification(principal, params.code, body)),
    }),
    operation({
      id: 'materialFefo',
      method: 'get',
      path: '/api/materials/{code}/fefo',
      tag: 'materials',
      summary: 'The lot first-expiry-first-out proposes now: released, unexpired, not retest-due, with stock',
      access: 'session',
      params: materialCode,
      responses: { 200: json('The lot proposed', ref('FefoProposal')) },
      problems: [404],
      handle: async ({ principal, params }) =>
        ok({ lot: await engine.materials.fefo(principal, params.code) }),
    }),
    operation({
      id: 'listLots',
      method: 'get',
      path: '/api/lots',
      tag: 'materials',
      summary: 'The lots, by material and status',
      access: 'session',
      query: object(
        {
          material: code('Only lots of this material'),
          status: oneOf(LOT_STATUSES, 'Only lots in this status'),
        },
        [],
      ),
      responses: { 200: json('The lots by number', listOf('lots', 'Lot', 'By lot number')) },
      handle: async ({ principal, query }) =>
        ok({ lots: await engine.materials.lots.list(principal, query) }),
    }),
    operation({
      id: 'receiveLot',
      method: 'post',
      path: '/api/lots',
      tag: 'materials',
      summary: 'Receive a lot into quarantine: its containers and their quantities, expiry, location',
      description:
        'Needs materials.receive. The supplier must be approved (or approved on conditions) for the material. ' +
        'The lot number comes from the material’s pattern; the expiry date, when left out, from its shelf ' +
        'life; the retest date from its retest period. A receipt transaction is written per container.',
      access: 'session',
      body: object(
        {
          material: code('The material received'),
          supplier: code('The supplier it came from'),
          supplierLot: requiredText(100, 'The supplier’s lot number'),
          containers: list(
            object({ quantity: quantity('What it holds, in the material’s base unit') }, ['quantity']),
            999,
            'The containers delivered',
          ),
          expiryDate: {
            type: 'string',
            pattern: '^\\d{4}-\\d{2}-\\d{2}$',
            maxLength: 10,
            description: 'As the supplier states it (YYYY-MM-DD); left out: from the shelf life',
          },
          location: requiredText(100, 'Where it is stored'),
        },
        ['material', 'supplier', 'supplierLot', 'containers', 'location'],
      ),
      responses: { 201: json('The lot received', ref('LotDetail')) },
      problems: [409],
      handle: async ({ principal, body }) => {
        const lot = await engine.materials.lots.receive(principal, body);
        return created(lot, `/api/lots/${lot.lotNumber}`);
      },
    }),
    operation({
      id: 'getLot',
      method: 'get',
      path: '/api/lots/{number}',
      tag: 'materials',
      summary: 'A lot with its containers, stock, transactions and audit trail',
      access: 'session',
      params: lotNumber,
      responses: { 200: json('The lot', ref('LotDetail')) },
      problems: [404],
      handle: async ({ principal, params }) => ok(await engine.materials.lots.get(principal, params.number)),
    }),
    operation({
      id: 'changeLotStatus',
      method: 'post',
      path: '/api/lots/{number}/status',
      tag: 'materials',
      summary: 'Move a lot along its lifecycle: sampled; released, rejected, recalled or returned (signed)',
      description:
        'quarantine → sampled (materials.receive; a sample of `sampleQuantity` from each container the ' +
        'sampling plan picks); quarantine or sampled → released | rejected, released → recalled, any → ' +
        'returned: QA’s signed acts (materials.release, the password again; a reason for all but release). ' +
        'A change the lifecycle does not allow is refused with 409 naming what is allowed; expiry is the system’s.',
      access: 'session',
      params: lotNumber,
      body: object(
        {
          status: oneOf(LOT_STATUSES, 'The status wanted'),
          version,
          password: password('The signer’s password, again (signed changes)'),
          reason: reason('Why (needed for rejection, recall and return)'),
          sampleQuantity: quantity('The sample taken from each container the plan picks (sampling)'),
        },
        ['status', 'version'],
      ),
      responses: { 200: json('The lot as it now is', ref('LotDetail')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.materials.lots.changeStatus(principal, params.number, body)),
    }),
    operation({
      id: 'moveLot',
      method: 'post',
      path: '/api/lots/{number}/transactions',
      tag: 'materials',
      summary: 'Issue, return, adjust (with a reason) or destroy (with a reason) a quantity of a lot',
      description:
        'Needs materials.receive. Quantities never go beyond the stock there is; only a released, unexpired, ' +
        'not retest-due lot is issued. An adjustment is signed (+ in, − out); the others are positive.',
      access: 'session',
      params: lotNumber,
      body: object(
        {
          kind: oneOf(['issue', 'return', 'adjustment', 'destruction'] as const, 'What is done'),
          quantity: quantity('How much, in the lot’s unit', null),
          container: name(LOT_NUMBER, 60, 'The container, when one'),
          reason: reason('Why (needed for adjustments and destructions)'),
          instanceId: uuid('The batch (process instance) issued to or returned from'),
          taskId: requiredText(100, 'The step'),
        },
        ['kind', 'quantity'],
      ),
      responses: { 200: json('The lot as it now is', ref('LotDetail')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.materials.lots.move(principal, params.number, body)),
    }),
  ];
}
