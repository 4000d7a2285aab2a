/**
 * A device connector: the code that speaks a scale's or a PLC's protocol. Attest opens one
 * connection per configured device, reads it when a step asks for a value, and may keep a
 * subscription for live values; every reading says where it came from and when, and carries the
 * device's own answer, so that the value a step stores can be traced to its source (E1–E3, E6).
 */
export interface DeviceConnector<Settings = Record<string, unknown>> {
  /** Opens the connection with the device's settings (already validated against the plugin's schema). */
  open(settings: Settings, signal?: AbortSignal): Promise<DeviceConnection>;
}

export interface DeviceConnection {
  /** One reading of a channel (a scale's weight, a PLC's tag), now. */
  read(channel: string, signal?: AbortSignal): Promise<Reading>;
  /** Readings as the device sends them, until the returned function is called. */
  subscribe?(
    channel: string,
    onReading: (reading: Reading) => void,
    onError: (error: Error) => void,
  ): () => void;
  /** Writes a value to a channel (a PLC set point); only where the device allows it. */
  write?(channel: string, value: number | string | boolean, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** One value as a device gave it. */
export interface Reading {
  deviceId: string;
  channel: string;
  value: number | string | boolean | null;
  unit: string | null;
  /** A scale's stable flag; a PLC value is stable when its status is good. */
  stable: boolean;
  /** `ok`, or why the value may not be used (overload, underload, a bad status code …). */
  status: 'ok' | 'unstable' | 'overload' | 'underload' | 'error';
  /** The device's own time stamp, when it sends one (ISO 8601). */
  deviceTime: string | null;
  /** When Attest received it (ISO 8601). */
  serverTime: string;
  /** The device's answer as received, as text, for the record of where the value came from. */
  raw: string;
}

const DEVICE_REFUSAL = Symbol.for('attest.DeviceRefusal');

/**
 * Thrown by a connector's `read` or `write` when the device answered as its protocol says, but gave
 * no reading or did not do what was asked: a scale busy (MT-SICS `S I`), a Modbus exception, an OPC
 * UA `Bad` or `Uncertain` status. The line to the device is sound, so Attest keeps the connection
 * open. Anything else a read throws (a time-out, a lost connection, an answer that is not the
 * protocol) says the connection cannot be trusted: Attest closes it and opens a new one for the next
 * read. A plugin imported on its own has its own copy of this class, so `instanceof` checks a mark
 * every copy sets rather than the class itself.
 */
export class DeviceRefusal extends Error {
  readonly [DEVICE_REFUSAL] = true;
  override name = 'DeviceRefusal';

  constructor(
    message: string,
    /** The device's answer as received, as text, when there is one to keep (E3). */
    readonly raw: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass of a plugin's own is checked as classes are.
    if (Object.getPrototypeOf(this) !== Error)
      return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && DEVICE_REFUSAL in value;
  }
}
