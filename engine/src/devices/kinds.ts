/** The kinds of device Attest reads: a form field may ask for one, a device is one. */
export const DEVICE_KINDS = ['scale', 'plc', 'sensor', 'instrument'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
