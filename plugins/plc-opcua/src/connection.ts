import {
  AttributeIds,
  DataType,
  NodeId,
  makeBrowsePath,
  resolveNodeId,
  type ClientSession,
} from 'node-opcua';
import { DeviceRefusal, type DeviceConnection, type Reading } from '@attest/plugin-api';
import { dataValueText, describeStatus, isGood, statusName, toReading } from './dataValue.ts';
import { OpcUaTimeoutError, withDeadline } from './deadline.ts';
import { OpcUaLink } from './link.ts';
import type { ChannelSettings, ResolvedSettings } from './settings.ts';
import { Subscriptions } from './subscriptions.ts';

/**
 * A connection to one OPC UA server. It holds one link (client and session) at a time and opens a
 * new one lazily when the last was lost; every request is bounded by the settings' time-out.
 */
export class OpcUaConnection implements DeviceConnection {
  private link: OpcUaLink | null = null;
  private opening: Promise<OpcUaLink> | null = null;
  private closed = false;
  /** Per link: a channel's unit from its EngineeringUnits property, and a node's data type. */
  private units = new Map<string, string | null>();
  private dataTypes = new Map<string, DataType>();
  private readonly subscriptions: Subscriptions;

  constructor(private readonly settings: ResolvedSettings) {
    this.subscriptions = new Subscriptions(settings, {
      link: () => this.session(),
      unit: (link, channel) => this.unitOf(link, channel),
      channel: (name) => this.channel(name),
    });
  }

  /** Opens the first link: a connection that cannot be made is an error of `open`. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.session(signal);
  }

  async read(channel: string, signal?: AbortSignal): Promise<Reading> {
    const settings = this.channel(channel);
    return this.request(`a read of "${channel}"`, signal, async (link) => {
      const dataValue = await link.session.read({ nodeId: settings.nodeId, attributeId: AttributeIds.Value });
      const receivedAt = new Date();
      const unit = await this.unitOf(link, channel);
      return toReading(dataValue, { deviceId: link.deviceId, channel, unit, receivedAt });
    });
  }

  subscribe(
    channel: string,
    onReading: (reading: Reading) => void,
    onError: (error: Error) => void,
  ): () => void {
    if (this.closed) throw new Error('OPC UA connection closed');
    this.channel(channel);
    return this.subscriptions.add(channel, onReading, onError);
  }

  async write(channel: string, value: number | string | boolean, signal?: AbortSignal): Promise<void> {
    const settings = this.channel(channel);
    if (!settings.writable) {
      throw new Error(`OPC UA channel "${channel}" is not writable: its settings do not say writable: true`);
    }
    await this.request(`a write of "${channel}"`, signal, async (link) => {
      const dataType = await this.dataTypeOf(link.session, settings.nodeId);
      const status = await link.session.write({
        nodeId: settings.nodeId,
        attributeId: AttributeIds.Value,
        value: { value: { dataType, value: coerce(channel, dataType, value) } },
      });
      if (!isGood(status)) {
        throw new DeviceRefusal(
          `OPC UA server refused the write of "${channel}": ${describeStatus(status)}`,
          statusName(status),
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriptions.close();
    const link = this.link ?? (await this.opening?.catch(() => null)) ?? null;
    this.link = null;
    await link?.close(this.settings.timeoutMs);
  }

  /** The session, opened again when the last was lost. */
  private async session(signal?: AbortSignal): Promise<OpcUaLink> {
    if (this.closed) throw new Error(`OPC UA connection to ${this.settings.endpointUrl} is closed`);
    if (this.link && !this.link.lost) return this.link;
    if (this.link) {
      const lost = this.link;
      this.link = null;
      void lost.close(this.settings.timeoutMs);
    }
    this.opening ??= OpcUaLink.open(this.settings, signal)
      .then(async (link) => {
        if (this.closed) {
          await link.close(this.settings.timeoutMs);
          throw new Error(`OPC UA connection to ${this.settings.endpointUrl} is closed`);
        }
        this.units.clear();
        this.dataTypes.clear();
        this.link = link;
        // A lost link is torn down at once, so that node-opcua does not go on reconnecting it.
        link.onLost(() => {
          this.subscriptions.lost();
          void link.close(this.settings.timeoutMs);
        });
        return link;
      })
      .finally(() => {
        this.opening = null;
      });
    return this.opening;
  }

  /**
   * Runs one request on the session within the time-out (opening the session has its own); a
   * request that times out drops the link.
   */
  private async request<T>(
    what: string,
    signal: AbortSignal | undefined,
    work: (link: OpcUaLink) => Promise<T>,
  ): Promise<T> {
    const link = await this.session(signal);
    try {
      return await withDeadline(
        work(link),
        this.settings.timeoutMs,
        () => new OpcUaTimeoutError(this.settings.endpointUrl, what, this.settings.timeoutMs),
        signal,
      );
    } catch (error) {
      if (error instanceof OpcUaTimeoutError) link.markLost();
      throw error;
    }
  }

  private channel(name: string): ChannelSettings {
    const channel = Object.hasOwn(this.settings.channels, name) ? this.settings.channels[name] : undefined;
    if (!channel) {
      const known = Object.keys(this.settings.channels).join(', ') || 'none';
      throw new Error(
        `OPC UA channel "${name}" is not configured for ${this.settings.endpointUrl} (channels: ${known})`,
      );
    }
    return channel;
  }

  /** The unit of the node's EngineeringUnits property (EUInformation), else the channel's setting. */
  private async unitOf(link: OpcUaLink, channel: string): Promise<string | null> {
    const settings = this.channel(channel);
    if (!this.units.has(channel)) {
      this.units.set(
        channel,
        (await engineeringUnit(link.session, settings.nodeId)) ?? settings.unit ?? null,
      );
    }
    return this.units.get(channel) ?? null;
  }

  private async dataTypeOf(session: ClientSession, nodeId: string): Promise<DataType> {
    const known = this.dataTypes.get(nodeId);
    if (known !== undefined) return known;
    const dataValue = await session.read({ nodeId, attributeId: AttributeIds.DataType });
    if (!isGood(dataValue.statusCode)) {
      throw new DeviceRefusal(
        `OPC UA node ${nodeId} has no data type: ${describeStatus(dataValue.statusCode)}`,
        dataValueText(dataValue),
      );
    }
    const typeId: unknown = dataValue.value.value;
    const builtIn = builtInType(typeId);
    if (builtIn === null)
      throw new Error(`OPC UA node ${nodeId} has a data type that is not a built-in type; it is not written`);
    this.dataTypes.set(nodeId, builtIn);
    return builtIn;
  }
}

/** The display name of a node's EngineeringUnits property, or null when it has none. */
async function engineeringUnit(session: ClientSession, nodeId: string): Promise<string | null> {
  const path = await session.translateBrowsePath(makeBrowsePath(resolveNodeId(nodeId), '.EngineeringUnits'));
  const target = isGood(path.statusCode) ? path.targets?.[0]?.targetId : undefined;
  if (!target) return null;
  const dataValue = await session.read({ nodeId: target, attributeId: AttributeIds.Value });
  const information: unknown = dataValue.value.value;
  if (!isGood(dataValue.statusCode) || typeof information !== 'object' || information === null) return null;
  const text: unknown = (information as { displayName?: { text?: unknown } }).displayName?.text;
  return typeof text === 'string' && text.length > 0 ? text : null;
}

/** A data type node of namespace 0 with an id up to 25 is a built-in type; Enumerations are Int32. */
function builtInType(typeId: unknown): DataType | null {
  if (!(typeId instanceof NodeId) || typeId.namespace !== 0 || typeof typeId.value !== 'number') return null;
  if (typeId.value >= 1 && typeId.value <= 25) return typeId.value as DataType;
  if (typeId.value === 29) return DataType.Int32;
  return null;
}

const INTEGER_RANGES: Partial<Record<DataType, [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-(2 ** 31), 2 ** 31 - 1],
  [DataType.UInt32]: [0, 2 ** 32 - 1],
};

/** The value as the node's type takes it; a value of another kind is refused before it is sent. */
function coerce(
  channel: string,
  dataType: DataType,
  value: number | string | boolean,
): number | string | boolean {
  const refuse = (): never => {
    throw new Error(
      `OPC UA channel "${channel}" takes a ${DataType[dataType]}, not ${JSON.stringify(value)}`,
    );
  };
  if (dataType === DataType.Boolean) return typeof value === 'boolean' ? value : refuse();
  if (dataType === DataType.String) return typeof value === 'string' ? value : refuse();
  if (dataType === DataType.Double || dataType === DataType.Float) {
    return typeof value === 'number' && Number.isFinite(value) ? value : refuse();
  }
  const range = INTEGER_RANGES[dataType];
  if (
    range &&
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= range[0] &&
    value <= range[1]
  ) {
    return value;
  }
  return refuse();
}
