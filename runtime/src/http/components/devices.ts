import { DEVICE_KINDS } from '@attest/engine';
import type { Schema } from '../schema.ts';
import { boolean, closed, id, instant, integer, nullableString, string } from './shared.ts';

const readingValue = {
  type: ['number', 'string', 'boolean', 'null'],
  description: 'The value as the device gave it',
} as const;
const readingStatus = {
  type: 'string',
  enum: ['ok', 'unstable', 'overload', 'underload', 'error'],
  description: 'ok, or why the value may not be used',
} as const;
/** A reading as a device gave it, without the server's checks. */
const liveReading = closed(
  {
    channel: string,
    value: readingValue,
    unit: nullableString,
    stable: boolean,
    status: readingStatus,
    deviceTime: { ...nullableString, description: 'The device’s own time stamp, if it sent one' },
    serverTime: instant,
    raw: { ...string, description: 'The device’s answer as received (E3)' },
  },
  'A reading as the device gave it',
);

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
  DeviceState: closed(
    {
      id,
      connected: { ...boolean, description: 'The server holds an open connection to it now' },
      lastReading: { oneOf: [{ type: 'null' }, liveReading] },
      lastError: {
        oneOf: [
          { type: 'null' },
          closed({ message: string, at: instant }, 'The last failure to connect or read, and when'),
        ],
      },
    },
    'A device’s connection as the server holds it: connected, its last reading and its last error',
  ),
  DeviceChoice: closed(
    {
      id,
      code: string,
      name: string,
      kind: { type: 'string', enum: DEVICE_KINDS },
      room: string,
      line: nullableString,
      calibrationDue: { type: ['string', 'null'], pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
      state: { type: 'string', enum: Object.keys(DEVICE_STATES) },
    },
    'A device a step’s field may be read from, and whether it may be read now',
  ),
  DeviceReading: closed(
    {
      id,
      deviceId: id,
      deviceCode: string,
      channel: string,
      action: { type: 'string', enum: ['read', 'tare', 'zero'] },
      value: readingValue,
      unit: nullableString,
      stored: { type: ['number', 'null'], description: 'The value in the field’s unit, as entered' },
      stable: boolean,
      status: readingStatus,
      raw: { ...string, description: 'The device’s answer as received (E3)' },
      deviceTime: nullableString,
      serverTime: instant,
      accepted: boolean,
      refusal: nullableString,
    },
    'A reading the server took for a step, as the device gave it and as it was entered',
  ),
  LiveReading: liveReading,
} as const satisfies Record<string, Schema>;
