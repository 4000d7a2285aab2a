import { existsSync } from 'node:fs';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  VariableIds,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua';
import { OpcUaTimeoutError, withDeadline } from './deadline.ts';
import type { ResolvedSettings } from './settings.ts';

const CERTIFICATE_CREATION_MS = 60_000;

/**
 * One client, its secure channel and its session with a server. A link that lost its connection
 * is never repaired: the connection drops it and opens a new one, so a read after the server came
 * back works and a read while it is down fails within the time-out.
 */
export class OpcUaLink {
  private lostListeners: (() => void)[] = [];
  private closed = false;
  lost = false;

  private constructor(
    private readonly client: OPCUAClient,
    readonly session: ClientSession,
    /** The server's ApplicationUri, or the endpoint URL when it gives none. */
    readonly deviceId: string,
  ) {
    const onLost = (): void => this.markLost();
    client.on('connection_lost', onLost);
    client.on('close', onLost);
    session.on('session_closed', onLost);
  }

  /** Connects and opens a session within the settings' time-out. */
  static async open(settings: ResolvedSettings, signal?: AbortSignal): Promise<OpcUaLink> {
    const client = OPCUAClient.create({
      applicationName: 'Attest',
      applicationUri: 'urn:attest:plc-opcua',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[settings.securityMode],
      securityPolicy: SecurityPolicy[settings.securityPolicy],
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 1000 },
      requestedSessionTimeout: Math.max(60_000, settings.timeoutMs * 5),
      keepSessionAlive: true,
      ...(settings.pkiFolder
        ? {
            clientCertificateManager: new OPCUACertificateManager({
              rootFolder: settings.pkiFolder,
              automaticallyAcceptUnknownCertificate: true,
            }),
          }
        : {}),
      ...(settings.certificateFile && settings.privateKeyFile
        ? { certificateFile: settings.certificateFile, privateKeyFile: settings.privateKeyFile }
        : {}),
    });
    const timeout = (): Error =>
      new OpcUaTimeoutError(settings.endpointUrl, 'the connection', settings.timeoutMs);
    // The first connection of a PKI folder makes the client's key pair and certificate: time the
    // server does not take.
    const making = existsSync(client.certificateFile) ? 0 : CERTIFICATE_CREATION_MS;
    try {
      const session = await withDeadline(
        (async () => {
          await client.connect(settings.endpointUrl);
          return client.createSession(identity(settings));
        })(),
        settings.timeoutMs + making,
        timeout,
        signal,
      );
      const deviceId = await withDeadline(applicationUri(session), settings.timeoutMs, timeout, signal).catch(
        () => null,
      );
      return new OpcUaLink(client, session, deviceId ?? settings.endpointUrl);
    } catch (error) {
      await disconnect(client, settings.timeoutMs);
      if (error instanceof OpcUaTimeoutError || signal?.aborted) throw error;
      throw new Error(`OPC UA server ${settings.endpointUrl} refused the connection: ${message(error)}`, {
        cause: error,
      });
    }
  }

  /** Calls `listener` once when the connection is lost. */
  onLost(listener: () => void): void {
    if (this.lost) listener();
    else this.lostListeners.push(listener);
  }

  /** Marks the link unusable (lost, or a request that timed out) and tells who listens. */
  markLost(): void {
    if (this.lost) return;
    this.lost = true;
    const listeners = this.lostListeners;
    this.lostListeners = [];
    for (const listener of listeners) listener();
  }

  /** Closes the session and the channel; a link lost is only torn down. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasLost = this.lost;
    this.markLost();
    if (!wasLost)
      await withDeadline(this.session.close(), timeoutMs, () => new Error('close')).catch(() => undefined);
    await disconnect(this.client, timeoutMs);
  }
}

function identity(settings: ResolvedSettings): UserIdentityInfo {
  if (settings.userName !== null && settings.password !== null) {
    return { type: UserTokenType.UserName, userName: settings.userName, password: settings.password };
  }
  return { type: UserTokenType.Anonymous };
}

/** The first entry of the server's ServerArray is its own ApplicationUri. */
async function applicationUri(session: ClientSession): Promise<string | null> {
  const dataValue = await session.read({
    nodeId: `i=${VariableIds.Server_ServerArray}`,
    attributeId: AttributeIds.Value,
  });
  const uris: unknown = dataValue.value.value;
  const first: unknown = Array.isArray(uris) ? uris[0] : null;
  return typeof first === 'string' && first.length > 0 ? first : null;
}

async function disconnect(client: OPCUAClient, timeoutMs: number): Promise<void> {
  await withDeadline(client.disconnect(), timeoutMs, () => new Error('disconnect')).catch(() => undefined);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
