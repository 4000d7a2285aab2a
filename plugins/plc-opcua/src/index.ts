/**
 * @attest/plc-opcua — OPC UA servers: a channel is a node, read with its status code, engineering
 * unit and source time stamp, monitored by a subscription, written where its settings allow it, and
 * browsed for an administrator to pick the nodes.
 */
import {
  AttributeIds,
  BrowseDirection,
  NodeClass,
  NodeId,
  ReferenceTypeIds,
  resolveNodeId,
  type BrowseResult,
  type ReferenceDescription,
} from 'node-opcua';
import type { DeviceConnector } from '@attest/plugin-api';
import { OpcUaConnection } from './connection.ts';
import { describeStatus, isGood } from './dataValue.ts';
import { OpcUaTimeoutError, withDeadline } from './deadline.ts';
import { OpcUaLink } from './link.ts';
import { resolveSettings, type Settings } from './settings.ts';

export type { ChannelSettings, Settings, SubscriptionSettings } from './settings.ts';
export { OpcUaStatusError } from './dataValue.ts';
export { OpcUaTimeoutError } from './deadline.ts';

/** The OPC UA connector: `open` connects and opens a session within the time-out. */
export const connector: DeviceConnector<Settings> = {
  async open(settings, signal) {
    const connection = new OpcUaConnection(resolveSettings(settings));
    await connection.connect(signal);
    return connection;
  },
};

/** A node below the one browsed, as an administrator picks a channel's node. */
export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: keyof typeof NodeClass;
  /** A variable's data type (`Double`, `Boolean`, `EUInformation` …); null for other nodes. */
  dataType: string | null;
}

/**
 * The children of a node (by default the server's Objects folder), following hierarchical
 * references: objects, variables, methods, each with its node id, browse name, class and, for a
 * variable, its data type. Opens its own session and closes it.
 */
export async function browse(
  settings: Omit<Settings, 'channels'> & { channels?: Settings['channels'] },
  nodeId = 'i=85',
  signal?: AbortSignal,
): Promise<BrowsedNode[]> {
  const resolved = resolveSettings({ ...settings, channels: settings.channels ?? {} });
  let start: NodeId;
  try {
    start = resolveNodeId(nodeId);
  } catch {
    throw new Error(`OPC UA browse: ${JSON.stringify(nodeId)} is not an OPC UA node id`);
  }
  const link = await OpcUaLink.open(resolved, signal);
  const timeout = (): Error =>
    new OpcUaTimeoutError(resolved.endpointUrl, `the browse of ${nodeId}`, resolved.timeoutMs);
  try {
    return await withDeadline(children(link, start, nodeId), resolved.timeoutMs * 3, timeout, signal);
  } finally {
    await link.close(resolved.timeoutMs);
  }
}

async function children(link: OpcUaLink, start: NodeId, nodeId: string): Promise<BrowsedNode[]> {
  const { session } = link;
  let result: BrowseResult = await session.browse({
    nodeId: start,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: resolveNodeId(ReferenceTypeIds.HierarchicalReferences),
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 63,
  });
  if (!isGood(result.statusCode))
    throw new Error(`OPC UA node ${nodeId} cannot be browsed: ${describeStatus(result.statusCode)}`);
  const references: ReferenceDescription[] = [...(result.references ?? [])];
  while (result.continuationPoint && result.continuationPoint.length > 0) {
    result = await session.browseNext(result.continuationPoint, false);
    references.push(...(result.references ?? []));
  }
  const variables = references.filter((r) => r.nodeClass === NodeClass.Variable);
  const typeIds = variables.length
    ? await session.read(variables.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.DataType })))
    : [];
  const typeNames = typeIds.length
    ? await session.read(
        typeIds.map((t) => ({
          nodeId: t.value.value instanceof NodeId ? t.value.value : NodeId.nullNodeId,
          attributeId: AttributeIds.BrowseName,
        })),
      )
    : [];
  const dataTypes = new Map<ReferenceDescription, string | null>();
  variables.forEach((reference, i) => {
    const name: unknown = typeNames[i]?.value.value;
    dataTypes.set(reference, name && typeof name === 'object' && 'name' in name ? String(name.name) : null);
  });
  return references.map((r) => ({
    nodeId: r.nodeId.toString(),
    browseName: r.browseName.toString(),
    displayName: r.displayName.text ?? r.browseName.name ?? '',
    nodeClass: NodeClass[r.nodeClass] as keyof typeof NodeClass,
    dataType: dataTypes.get(r) ?? null,
  }));
}
