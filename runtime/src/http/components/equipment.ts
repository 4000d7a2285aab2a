import { EQUIPMENT_STATUSES, ROOM_CLASSES } from '@attest/engine';
import type { Schema } from '../schema.ts';
import { boolean, closed, id, instant, integer, nullableString, string } from './shared.ts';

const plantDate = {
  type: ['string', 'null'],
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'A plant-zone date, YYYY-MM-DD; null when none is needed',
} as const;
const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;
const inUse = {
  oneOf: [
    { type: 'null' },
    closed(
      { instanceId: id, recordNumber: nullableString },
      'The batch using it: its process instance and record number',
    ),
  ],
} as const;
const fieldChange = closed(
  { path: string, old: {}, new: {} },
  'A fact it changed: where (JSON pointer), what it was, what it became',
);

/** Rooms, equipment and the equipment logbook (F2, 21 CFR 211.182). */
export const EQUIPMENT_COMPONENTS = {
  Room: closed(
    {
      id,
      code: { ...string, description: 'The plant’s room number, e.g. R-104' },
      name: string,
      class: {
        type: 'string',
        enum: ROOM_CLASSES,
        description: 'Grade A–D, or CNC (controlled, not classified)',
      },
      status: { type: 'string', enum: ['cleared', 'in_use', 'to_clean', 'out_of_service'] },
      inUseInstanceId: { type: ['string', 'null'], format: 'uuid' },
      inUse,
      version: { ...integer, description: 'Sent back with a change, which is refused if another came first' },
      createdAt: instant,
      createdBy: id,
      updatedAt: instant,
    },
    'A room, its cleanroom class and its line-clearance status',
  ),
  Equipment: closed(
    {
      id,
      code: { ...string, description: 'The plant’s equipment number, e.g. MX-01' },
      name: string,
      type: string,
      room: { ...string, description: 'The code of the room it stands in' },
      status: { type: 'string', enum: EQUIPMENT_STATUSES },
      calibrationDue: plantDate,
      qualificationDue: plantDate,
      cleanHoldHours: { type: ['integer', 'null'], description: 'Hours it stays clean; null: no limit' },
      cleanUntil: { ...nullableInstant, description: 'When its cleaning expires' },
      dailyCheckRequired: boolean,
      lastDailyCheckAt: { ...nullableInstant, description: 'When its daily check last passed' },
      inUseInstanceId: { type: ['string', 'null'], format: 'uuid' },
      inUse,
      usable: {
        oneOf: [
          { type: 'null' },
          closed(
            { refusal: string, message: string },
            'Why a batch may not use it now: a short word and a sentence',
          ),
        ],
      },
      version: { ...integer, description: 'Sent back with a change, which is refused if another came first' },
      createdAt: instant,
      createdBy: id,
      updatedAt: instant,
    },
    'A piece of equipment: where it stands, its status, cleaning, calibration, qualification and daily check',
  ),
  LogbookEntry: closed(
    {
      seq: integer,
      at: instant,
      type: { ...string, description: 'equipment.used, equipment.cleaned, equipment.calibrated, …' },
      by: closed({ userId: { type: ['string', 'null'], format: 'uuid' }, printedName: string }, 'Who'),
      batch: {
        oneOf: [
          { type: 'null' },
          closed(
            { instanceId: id, taskId: nullableString, recordNumber: nullableString },
            'The batch it was for',
          ),
        ],
      },
      changes: { type: 'array', items: fieldChange },
      details: { type: 'object', description: 'What else it states: certificate, report, result, signature' },
      reason: nullableString,
    },
    'One line of an equipment logbook: what happened, when, by whom, for which batch',
  ),
} as const satisfies Record<string, Schema>;
