import {
  AttributeIds,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  type ClientMonitoredItem,
  type ClientSubscription,
  type DataValue,
} from 'node-opcua';
import type { Reading } from '@attest/plugin-api';
import { toReading } from './dataValue.ts';
import { OpcUaTimeoutError, withDeadline } from './deadline.ts';
import type { OpcUaLink } from './link.ts';
import type { ChannelSettings, ResolvedSettings } from './settings.ts';

/** What the subscriptions need of their connection. */
export interface SubscriptionHost {
  link(): Promise<OpcUaLink>;
  unit(link: OpcUaLink, channel: string): Promise<string | null>;
  channel(name: string): ChannelSettings;
}

interface Subscriber {
  channel: string;
  onReading: (reading: Reading) => void;
  onError: (error: Error) => void;
  item: ClientMonitoredItem | null;
  attempts: number;
  retry: NodeJS.Timeout | null;
  ended: boolean;
}

const MAX_BACK_OFF_MS = 30_000;

/**
 * The subscriptions of one connection: one OPC UA subscription per session, one monitored item per
 * subscriber, with the settings' sampling interval, dead band and queue. When the connection is
 * lost every subscriber is told and is monitored again, with back-off, on the next session.
 */
export class Subscriptions {
  private readonly subscribers = new Set<Subscriber>();
  private current: { link: OpcUaLink; subscription: Promise<ClientSubscription> } | null = null;
  private closed = false;

  constructor(
    private readonly settings: ResolvedSettings,
    private readonly host: SubscriptionHost,
  ) {}

  /** Monitors the channel until the returned function is called. */
  add(channel: string, onReading: Subscriber['onReading'], onError: Subscriber['onError']): () => void {
    const subscriber: Subscriber = {
      channel,
      onReading,
      onError,
      item: null,
      attempts: 0,
      retry: null,
      ended: false,
    };
    this.subscribers.add(subscriber);
    void this.attach(subscriber);
    return () => this.end(subscriber);
  }

  /** The session was lost: every subscriber is told, and monitored again on the next one. */
  lost(): void {
    this.current = null;
    for (const subscriber of this.subscribers) {
      subscriber.item = null;
      this.fail(
        subscriber,
        new Error(`OPC UA connection to ${this.settings.endpointUrl} lost; subscribing again`),
      );
    }
  }

  close(): void {
    this.closed = true;
    for (const subscriber of [...this.subscribers]) this.end(subscriber);
  }

  private end(subscriber: Subscriber): void {
    if (subscriber.ended) return;
    subscriber.ended = true;
    this.subscribers.delete(subscriber);
    if (subscriber.retry) clearTimeout(subscriber.retry);
    subscriber.item?.terminate().catch(() => undefined);
    subscriber.item = null;
    if (this.subscribers.size === 0 && this.current) {
      const { subscription } = this.current;
      this.current = null;
      subscription.then((s) => s.terminate()).catch(() => undefined);
    }
  }

  private async attach(subscriber: Subscriber): Promise<void> {
    const timeout = (): Error =>
      new OpcUaTimeoutError(
        this.settings.endpointUrl,
        `the subscription to "${subscriber.channel}"`,
        this.settings.timeoutMs,
      );
    try {
      const link = await this.host.link();
      const unit = await withDeadline(
        this.host.unit(link, subscriber.channel),
        this.settings.timeoutMs,
        timeout,
      );
      const subscription = await withDeadline(this.subscription(link), this.settings.timeoutMs, timeout);
      const item = await withDeadline(
        subscription.monitor(
          { nodeId: this.host.channel(subscriber.channel).nodeId, attributeId: AttributeIds.Value },
          {
            samplingInterval: this.settings.subscription.samplingIntervalMs,
            queueSize: this.settings.subscription.queueSize,
            discardOldest: true,
            filter: this.filter(),
          },
          TimestampsToReturn.Both,
        ),
        this.settings.timeoutMs,
        timeout,
      );
      if (subscriber.ended || link.lost) {
        await item.terminate().catch(() => undefined);
        return;
      }
      subscriber.item = item;
      subscriber.attempts = 0;
      item.on('changed', (dataValue: DataValue) => this.deliver(subscriber, link, unit, dataValue));
      item.on('err', (message: string) =>
        this.fail(subscriber, new Error(`OPC UA monitored item "${subscriber.channel}": ${message}`)),
      );
    } catch (error) {
      this.fail(subscriber, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private deliver(subscriber: Subscriber, link: OpcUaLink, unit: string | null, dataValue: DataValue): void {
    if (subscriber.ended) return;
    let reading: Reading;
    try {
      reading = toReading(dataValue, {
        deviceId: link.deviceId,
        channel: subscriber.channel,
        unit,
        receivedAt: new Date(),
      });
    } catch (error) {
      subscriber.onError(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    subscriber.onReading(reading);
  }

  /** Tells the subscriber, and monitors it again after a back-off that doubles up to 30 s. */
  private fail(subscriber: Subscriber, error: Error): void {
    if (subscriber.ended || this.closed) return;
    subscriber.onError(error);
    if (subscriber.retry) return;
    const delay = Math.min(this.settings.timeoutMs * 2 ** subscriber.attempts, MAX_BACK_OFF_MS);
    subscriber.attempts += 1;
    subscriber.retry = setTimeout(() => {
      subscriber.retry = null;
      if (!subscriber.ended && !this.closed) void this.attach(subscriber);
    }, delay);
  }

  private subscription(link: OpcUaLink): Promise<ClientSubscription> {
    if (this.current?.link === link) return this.current.subscription;
    const subscription = link.session.createSubscription2({
      requestedPublishingInterval: this.settings.subscription.publishingIntervalMs,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 60,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    this.current = { link, subscription };
    subscription.catch(() => {
      if (this.current?.subscription === subscription) this.current = null;
    });
    return subscription;
  }

  private filter(): DataChangeFilter | null {
    const { deadbandType, deadbandValue } = this.settings.subscription;
    if (deadbandType === 'None') return null;
    return new DataChangeFilter({
      trigger: DataChangeTrigger.StatusValue,
      deadbandType: deadbandType === 'Absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
      deadbandValue,
    });
  }
}
