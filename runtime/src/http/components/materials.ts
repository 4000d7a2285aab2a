import { BASE_UNITS, LOT_STATUSES, MATERIAL_TYPES, SAMPLING_PLANS, SUPPLIER_STATUSES } from '@attest/engine';
import type { Schema } from '../schema.ts';
import { closed, id, instant, integer, nullableString, string } from './shared.ts';

const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A plant date' } as const;
const nullableDate = {
  type: ['string', 'null'],
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'A plant date, or none',
} as const;
const number = { type: 'number' } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const nullableMonths = { type: ['integer', 'null'], description: 'Months, or none' } as const;
const lotStatus = {
  type: 'string',
  enum: LOT_STATUSES,
  description: 'quarantine → sampled → released | rejected; expired, recalled, returned',
} as const;

/** What a lot is, in its list and in its detail. */
const lotFacts = {
  id,
  lotNumber: string,
  material: string,
  materialName: string,
  supplierCode: string,
  supplierLot: string,
  status: lotStatus,
  unit: string,
  receivedAt: instant,
  expiryDate: date,
  retestDate: nullableDate,
  location: string,
  stock: { ...number, description: 'The sum of its transactions, in its unit' },
  containers: {
    type: 'array',
    items: closed({ id, code: string, number: integer, stock: number }, 'A container of the lot'),
  },
  version: { ...integer, description: 'Sent back with a status change' },
  signatureId: { oneOf: [{ type: 'null' }, id] },
  updatedAt: instant,
} as const;

/** Materials, their suppliers and specifications; lots, containers, stock and its transactions. */
export const MATERIAL_COMPONENTS = {
  SpecificationTest: closed(
    {
      name: string,
      method: string,
      unit: nullableString,
      limits: {
        oneOf: [{ type: 'null' }, closed({ min: nullableNumber, max: nullableNumber }, 'Numeric limits')],
      },
      allowedResults: { oneOf: [{ type: 'null' }, { type: 'array', items: string }] },
    },
    'A test a lot is released against: numeric limits (with a unit) or the results allowed',
  ),
  Material: closed(
    {
      id,
      code: { ...string, description: 'The plant’s material code' },
      name: string,
      type: { type: 'string', enum: MATERIAL_TYPES },
      baseUnit: { type: 'string', enum: BASE_UNITS, description: 'Unit stock is kept in' },
      storageConditions: nullableString,
      retestMonths: nullableMonths,
      shelfLifeMonths: nullableMonths,
      samplingPlan: { type: 'string', enum: SAMPLING_PLANS },
      lotNumberPattern: string,
      specification: { type: 'array', items: { $ref: '#/components/schemas/SpecificationTest' } },
      specificationVersion: { ...integer, description: '0 until a specification is approved' },
      specificationSignatureId: { oneOf: [{ type: 'null' }, id] },
      suppliers: {
        type: 'array',
        items: closed(
          {
            code: string,
            name: string,
            status: { type: 'string', enum: SUPPLIER_STATUSES },
            signatureId: id,
            updatedAt: instant,
          },
          'A supplier of the material and its approval, as a signed act set it',
        ),
      },
      version: { ...integer, description: 'Sent back with a change or a signed act' },
      createdAt: instant,
      updatedAt: instant,
    },
    'A material with its specification and approved suppliers',
  ),
  Lot: closed(lotFacts, 'A material lot: its status, dates, containers and stock'),
  LotDetail: closed(
    {
      ...lotFacts,
      holdings: {
        type: 'array',
        items: closed(
          {
            containerId: { oneOf: [{ type: 'null' }, id] },
            number: { type: ['integer', 'null'] },
            location: string,
            quantity: number,
          },
          'Stock of a container at a location',
        ),
      },
      transactions: {
        type: 'array',
        items: closed(
          {
            id,
            containerCode: nullableString,
            kind: {
              type: 'string',
              enum: ['receipt', 'issue', 'return', 'adjustment', 'destruction', 'sample'],
            },
            quantity: { ...number, description: 'Positive in, negative out' },
            location: string,
            instanceId: { oneOf: [{ type: 'null' }, id] },
            taskId: nullableString,
            reason: nullableString,
            at: instant,
            by: { ...string, description: 'Printed name of who moved it' },
          },
          'A quantity moved',
        ),
      },
      trail: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' } },
    },
    'A lot with its stock per container and location, its transactions and its audit trail',
  ),
  FefoProposal: closed(
    {
      lot: {
        oneOf: [
          { type: 'null' },
          closed(
            { lotNumber: string, expiryDate: date, available: number, unit: string },
            'The lot proposed',
          ),
        ],
      },
    },
    'The released, unexpired lot with stock that expires first; null when there is none',
  ),
} satisfies Record<string, Schema>;
