import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connector, type Settings } from '@attest/plc-opcua';
import { bankNodeId, OpcUaSimulator } from '@attest/plc-opcua/simulator';

/** How long the values sent at the end of the window may take to arrive. */
const GRACE_MS = 3000;

export interface SubscriptionFigures {
  items: number;
  hz: number;
  seconds: number;
  sent: number;
  received: number;
  errors: number;
  /** Seconds from the first subscribe to every item's first value. */
  subscribeSeconds: number;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `items` variables of the OPC UA simulator, all changing `hz` times a second, each monitored
 * through the plc-opcua connector's `subscribe` on one connection. Every change sets each variable
 * to the number of the change, so the values sent in the window are `items × changes` and each
 * one received can be told apart: a value missed, or one received twice, is seen.
 */
export async function opcUaSubscription(
  items: number,
  hz: number,
  seconds: number,
  log: (line: string) => void,
): Promise<SubscriptionFigures> {
  const simulator = new OpcUaSimulator({ bank: { size: items, intervalMs: 1000 / hz } });
  const endpointUrl = await simulator.start();
  const channels: Settings['channels'] = {};
  for (let i = 0; i < items; i++) channels[`v${i}`] = { nodeId: bankNodeId(i) };
  const received = Array.from({ length: items }, () => new Set<number>());
  let errors = 0;
  let firstError = '';
  const unsubscribe: (() => void)[] = [];
  const connection = await connector.open({
    endpointUrl,
    timeoutMs: 30_000,
    // In the system's temporary directory, as in the connector's tests.
    pkiFolder: join(tmpdir(), 'attest-opcua-client-pki'),
    channels,
    // Sampling 0 on a node that reports its changes: each change is sent, none sampled away.
    subscription: { samplingIntervalMs: 0, publishingIntervalMs: 1000 / hz, queueSize: 10 },
  });
  try {
    const subscribing = performance.now();
    for (let i = 0; i < items; i++) {
      unsubscribe.push(
        connection.subscribe!(
          `v${i}`,
          (reading) => received[i]!.add(Number(reading.value)),
          (error) => {
            errors += 1;
            firstError ||= error.message;
          },
        ),
      );
    }
    while (received.some((values) => values.size === 0)) {
      if (performance.now() - subscribing > 120_000)
        throw new Error(
          `${received.filter((v) => v.size === 0).length} of ${items} items had no value after 2 minutes` +
            (firstError ? `; first error: ${firstError}` : ''),
        );
      await wait(50);
    }
    const subscribeSeconds = (performance.now() - subscribing) / 1000;
    log(`  ${items} items monitored, each with its first value, in ${subscribeSeconds.toFixed(1)} s`);
    const from = simulator.bankChanges;
    await wait(seconds * 1000);
    const to = simulator.bankChanges;
    await wait(GRACE_MS);
    let count = 0;
    for (const values of received) for (const v of values) if (v > from && v <= to) count += 1;
    const sent = items * (to - from);
    if (firstError) log(`  first subscription error: ${firstError}`);
    return { items, hz, seconds, sent, received: count, errors, subscribeSeconds };
  } finally {
    for (const end of unsubscribe) end();
    await connection.close();
    await simulator.stop();
  }
}
