import { resolveNodeId } from 'node-opcua';

/** How a channel maps to a node of the server. */
export interface ChannelSettings {
  /** The node's id, e.g. `ns=2;s=Line1.Weight` or `ns=3;i=1002`. */
  nodeId: string;
  /** The unit when the node has no EngineeringUnits property (the server's unit wins). */
  unit?: string;
  /** Whether Attest may write the channel (a set point); default false. */
  writable?: boolean;
}

/** How a subscription samples and delivers. */
export interface SubscriptionSettings {
  /** How often the server samples each node, in milliseconds (default 250). */
  samplingIntervalMs?: number;
  /** How often the server sends what changed, in milliseconds (default 500). */
  publishingIntervalMs?: number;
  /** `None` (every change), `Absolute` (a change of at least `deadbandValue` units) or `Percent` (of the EURange). */
  deadbandType?: 'None' | 'Absolute' | 'Percent';
  /** The dead band's size, in the node's units or percent (default 0). */
  deadbandValue?: number;
  /** How many values the server keeps per node between two publications (default 10). */
  queueSize?: number;
}

/** The settings of one OPC UA server, as Attest stores them for a device. */
export interface Settings {
  /** `opc.tcp://host:port/path` of the server. */
  endpointUrl: string;
  securityMode?: 'None' | 'Sign' | 'SignAndEncrypt';
  securityPolicy?: 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';
  /** A user name and password; anonymous without them. */
  userName?: string;
  password?: string;
  /** The client's certificate (PEM) and its private key, for Sign and SignAndEncrypt. */
  certificateFile?: string;
  privateKeyFile?: string;
  /** Where the client keeps its certificates and the servers' it trusts (default: node-opcua's folder in the user's configuration). */
  pkiFolder?: string;
  /** How long a connection or a request may take, in milliseconds (default 2000). */
  timeoutMs?: number;
  channels: Record<string, ChannelSettings>;
  subscription?: SubscriptionSettings;
}

/** The settings with their defaults applied, as the connection uses them. */
export interface ResolvedSettings extends Required<
  Omit<
    Settings,
    'userName' | 'password' | 'certificateFile' | 'privateKeyFile' | 'pkiFolder' | 'subscription'
  >
> {
  userName: string | null;
  password: string | null;
  certificateFile: string | null;
  privateKeyFile: string | null;
  pkiFolder: string | null;
  subscription: Required<SubscriptionSettings>;
}

const MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
const POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
const DEADBANDS = ['None', 'Absolute', 'Percent'] as const;

/**
 * Checks what the connection needs and applies the defaults; a wrong setting is an Error that names
 * it. Attest validates against the plugin's JSON Schema before; this is the connector's own guard.
 */
export function resolveSettings(settings: Settings): ResolvedSettings {
  const problem = (what: string): never => {
    throw new Error(`OPC UA settings: ${what}`);
  };
  if (typeof settings.endpointUrl !== 'string' || !/^opc\.tcp:\/\/[^/\s]+/.test(settings.endpointUrl)) {
    problem(`endpointUrl must be an opc.tcp:// URL, not ${JSON.stringify(settings.endpointUrl)}`);
  }
  const securityMode = settings.securityMode ?? 'None';
  if (!MODES.includes(securityMode)) problem(`securityMode must be one of ${MODES.join(', ')}`);
  const securityPolicy = settings.securityPolicy ?? (securityMode === 'None' ? 'None' : 'Basic256Sha256');
  if (!POLICIES.includes(securityPolicy)) problem(`securityPolicy must be one of ${POLICIES.join(', ')}`);
  if ((securityMode === 'None') !== (securityPolicy === 'None')) {
    problem(`securityMode ${securityMode} cannot go with securityPolicy ${securityPolicy}`);
  }
  if ((settings.userName === undefined) !== (settings.password === undefined)) {
    problem('userName and password go together');
  }
  if ((settings.certificateFile === undefined) !== (settings.privateKeyFile === undefined)) {
    problem('certificateFile and privateKeyFile go together');
  }
  const timeoutMs = settings.timeoutMs ?? 2000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    problem('timeoutMs must be a positive number of milliseconds');
  const channels = settings.channels ?? {};
  if (typeof channels !== 'object' || Array.isArray(channels)) problem('channels must map names to nodes');
  for (const [name, channel] of Object.entries(channels)) {
    if (typeof channel?.nodeId !== 'string') problem(`channel "${name}" has no nodeId`);
    try {
      resolveNodeId(channel.nodeId);
    } catch {
      problem(
        `channel "${name}" has the nodeId ${JSON.stringify(channel.nodeId)}, which is not an OPC UA node id`,
      );
    }
  }
  const subscription = {
    samplingIntervalMs: settings.subscription?.samplingIntervalMs ?? 250,
    publishingIntervalMs: settings.subscription?.publishingIntervalMs ?? 500,
    deadbandType: settings.subscription?.deadbandType ?? 'None',
    deadbandValue: settings.subscription?.deadbandValue ?? 0,
    queueSize: settings.subscription?.queueSize ?? 10,
  };
  if (!DEADBANDS.includes(subscription.deadbandType))
    problem(`deadbandType must be one of ${DEADBANDS.join(', ')}`);
  for (const key of ['samplingIntervalMs', 'publishingIntervalMs', 'deadbandValue', 'queueSize'] as const) {
    if (!Number.isFinite(subscription[key]) || subscription[key] < 0)
      problem(`subscription.${key} must be a number ≥ 0`);
  }
  return {
    endpointUrl: settings.endpointUrl,
    securityMode,
    securityPolicy,
    userName: settings.userName ?? null,
    password: settings.password ?? null,
    certificateFile: settings.certificateFile ?? null,
    privateKeyFile: settings.privateKeyFile ?? null,
    pkiFolder: settings.pkiFolder ?? null,
    timeoutMs,
    channels,
    subscription,
  };
}
