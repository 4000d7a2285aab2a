import { DEVICE_KINDS } from '@attest/engine';
import type { Schema } from '../schema.ts';
import { closed, id, instant, integer, nullableString, string } from './shared.ts';

export const DEVICE_STATES = {
  in_service: 'may be read into a GMP step',
  calibration_due: 'its calibration date has passed (in the plant’s time zone): not read until calibrated',
  out_of_service: 'set out of service by a person, with a reason: not read',
} as const;

/** Devices and how Attest reaches them (E6). */
export const DEVICE_COMPONENTS = {
  Device: closed(
    {
      id,
      code: { ...string, description: 'The plant’s equipment number, e.g. BAL-0042' },
      name: string,
      kind: { type: 'string', enum: DEVICE_KINDS },
      plugin: { ...string, description: 'npm name of the device plugin that reaches it' },
      settings: {
        type: ['object', 'null'],
        description: 'Its connection settings; null for whoever may not manage configuration',
      },
      room: string,
      line: nullableString,
      calibrationDue: {
        type: ['string', 'null'],
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description: 'When its calibration falls due',
      },
      status: { type: 'string', enum: ['in_service', 'out_of_service'], description: 'As a person set it' },
      state: {
        type: 'string',
        enum: Object.keys(DEVICE_STATES),
        description: Object.entries(DEVICE_STATES)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; '),
      },
      version: { ...integer, description: 'Sent back with a change, which is refused if another came first' },
      createdAt: instant,
      updatedAt: instant,
    },
    'A scale, PLC or instrument, the plugin and settings that reach it, where it stands, its calibration',
  ),
} as const satisfies Record<string, Schema>;
