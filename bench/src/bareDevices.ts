import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import modbusSerial from 'modbus-serial';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
} from 'node-opcua';

/** modbus-serial is CommonJS: its export is the client class, which is also its `default`. */
const ModbusRTU = modbusSerial.default;

/**
 * The bare protocol reads the devices benchmark compares Take reading with: the same read of the
 * same simulator by the protocol's library alone, with nothing around it (no settings checked, no
 * unit, no status or calibration check, no audit, no storage).
 */
export interface BareReader {
  read(): Promise<unknown>;
  close(): Promise<void>;
}

/** MT-SICS over a plain `net` socket: `S` sent, the answer line received. */
export async function bareMtsics(port: number): Promise<BareReader> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = '';
  let waiting: ((line: string) => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    const end = buffer.indexOf('\r\n');
    if (end < 0 || !waiting) return;
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const done = waiting;
    waiting = null;
    done(line);
  });
  return {
    read: () =>
      new Promise<string>((resolve, reject) => {
        waiting = (line) =>
          line.startsWith('S S') ? resolve(line) : reject(new Error(`the scale answered "${line}" to S`));
        socket.write('S\r\n', 'latin1');
      }),
    close: async () => void socket.destroy(),
  };
}

/** Modbus TCP with `modbus-serial`: the weight's two input registers read with function 4. */
export async function bareModbus(port: number, address: number): Promise<BareReader> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(2000);
  return {
    read: async () => (await client.readInputRegisters(address, 2)).data,
    close: () => new Promise<void>((resolve) => client.close(() => resolve())),
  };
}

/**
 * OPC UA with a `node-opcua` client session (security None, anonymous): a Read of the node's Value.
 * Its certificate is kept in a folder of its own in the system's temporary directory.
 */
export async function bareOpcUa(endpointUrl: string, nodeId: string): Promise<BareReader> {
  const client = OPCUAClient.create({
    applicationName: 'attest-bench',
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0 },
    clientCertificateManager: new OPCUACertificateManager({
      rootFolder: join(tmpdir(), 'attest-bench-opcua-pki'),
      automaticallyAcceptUnknownCertificate: true,
    }),
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  return {
    read: async () => {
      const value = await session.read({ nodeId, attributeId: AttributeIds.Value });
      if (value.statusCode.value !== StatusCodes.Good.value)
        throw new Error(`OPC UA read of ${nodeId}: ${value.statusCode.name}`);
      return value.value.value;
    },
    close: async () => {
      await session.close();
      await client.disconnect();
    },
  };
}
