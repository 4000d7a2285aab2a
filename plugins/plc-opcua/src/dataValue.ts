import { DataType, type DataValue, type StatusCode, type Variant } from 'node-opcua';
import { DeviceRefusal, type Reading } from '@attest/plugin-api';

/** A status code's severity is its top two bits: 00 Good, 01 Uncertain, 10 and 11 Bad. */
export function isGood(status: StatusCode): boolean {
  return status.value >>> 30 === 0;
}

/** `BadSensorFailure (0x808C0000)`: a status code's name and value. */
export function statusName(status: StatusCode): string {
  return `${status.name} (0x${status.value.toString(16).toUpperCase().padStart(8, '0')})`;
}

/** `BadSensorFailure (0x808C0000): There has been a failure in the sensor …` — as a person reads it. */
export function describeStatus(status: StatusCode): string {
  return status.description ? `${statusName(status)}: ${status.description}` : statusName(status);
}

/** The Variant's value as a reading carries it: a number, a string, a boolean, or JSON text of anything else. */
export function readingValue(variant: Variant): Reading['value'] {
  const value: unknown = variant.value;
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if ((variant.dataType === DataType.Int64 || variant.dataType === DataType.UInt64) && isPair(value)) {
    return value[0] * 2 ** 32 + value[1];
  }
  if (value instanceof Date) return value.toISOString();
  if (variant.dataType === DataType.LocalizedText || variant.dataType === DataType.QualifiedName) {
    return String(value.toString());
  }
  return JSON.stringify(value, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
}

function isPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number');
}

/**
 * The DataValue as text, for the record of what the server answered: its value with its type, the
 * status code and both time stamps.
 */
export function dataValueText(dataValue: DataValue): string {
  const variant = dataValue.value;
  const type = DataType[variant.dataType] ?? String(variant.dataType);
  const value = readingValue(variant);
  return [
    `value=${type} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
    `status=${statusName(dataValue.statusCode)}`,
    `sourceTimestamp=${dataValue.sourceTimestamp?.toISOString() ?? 'none'}`,
    `serverTimestamp=${dataValue.serverTimestamp?.toISOString() ?? 'none'}`,
  ].join('; ');
}

/**
 * A value whose status is not Good: refused with its status code, never used as a value. The server
 * answered, so the session stays open (a device refusal).
 */
export class OpcUaStatusError extends DeviceRefusal {
  override name = 'OpcUaStatusError';
  constructor(
    readonly channel: string,
    readonly statusCode: StatusCode,
    raw: string,
  ) {
    super(`OPC UA channel "${channel}" has status ${describeStatus(statusCode)}; its value is not used`, raw);
  }
}

/**
 * The reading of a DataValue with a Good status; any other status (Uncertain…, Bad…) is an
 * OpcUaStatusError.
 */
export function toReading(
  dataValue: DataValue,
  context: { deviceId: string; channel: string; unit: string | null; receivedAt: Date },
): Reading {
  const raw = dataValueText(dataValue);
  if (!isGood(dataValue.statusCode)) throw new OpcUaStatusError(context.channel, dataValue.statusCode, raw);
  return {
    deviceId: context.deviceId,
    channel: context.channel,
    value: readingValue(dataValue.value),
    unit: context.unit,
    stable: true,
    status: 'ok',
    deviceTime: dataValue.sourceTimestamp?.toISOString() ?? null,
    serverTime: context.receivedAt.toISOString(),
    raw,
  };
}
