import net from 'node:net';
import type { SerialPort as SerialPortClass, SerialPortMock, SerialPortOpenOptions } from 'serialport';
import { escapeRaw } from './protocol.ts';

/** A serial binding: the platform's, or (in tests) `@serialport/binding-mock`'s. */
export type SerialBinding = typeof SerialPortClass.binding | typeof SerialPortMock.binding;

/** The longest answer line accepted; a longer one is not MT-SICS. */
const MAX_LINE = 1024;

/** How to reach the scale: a TCP endpoint or a serial line. */
export type Endpoint =
  | { transport: 'tcp'; host: string; port: number }
  | {
      transport: 'serial';
      path: string;
      baudRate: number;
      dataBits: 5 | 6 | 7 | 8;
      parity: 'none' | 'even' | 'odd';
      stopBits: 1 | 2;
    };

/** What a link tells its owner: each line received (without CR LF), and its end. */
export interface LinkEvents {
  line(text: string): void;
  /** A line longer than the protocol allows, or bytes after which no line can be found. */
  overflow(escaped: string): void;
  closed(error: Error | null): void;
}

/** A byte stream to the scale, cut into lines. */
export interface Link {
  write(text: string): void;
  /** Ends the link at once, and resolves once it is closed; `closed` is not reported for it. */
  destroy(): Promise<void>;
}

/** Where an endpoint is, as a person reads it: `host:port`, or the serial line's path. */
export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.transport === 'tcp' ? `${endpoint.host}:${endpoint.port}` : endpoint.path;
}

/** Cuts received bytes into CR LF (or LF) lines, decoded as Latin-1 so no byte is lost. */
function lineSplitter(events: LinkEvents): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
      events.line(line);
    }
    if (pending.length > MAX_LINE) {
      events.overflow(escapeRaw(pending.slice(0, 80)));
      pending = '';
    }
  };
}

/** Connects over TCP; rejects when the endpoint cannot be reached within `timeoutMs`. */
function openTcp(host: string, port: number, timeoutMs: number, events: LinkEvents): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let open = false;
    let destroyed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setNoDelay(true);
    socket.on('data', lineSplitter(events));
    socket.on('error', (error) => {
      if (open) return; // 'close' follows and reports it
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${error.message}`));
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (open && !destroyed) {
        events.closed(new Error(`the connection to ${host}:${port} was ${hadError ? 'broken' : 'closed'}`));
      }
    });
    socket.on('connect', () => {
      clearTimeout(timer);
      open = true;
      resolve({
        write: (text) => socket.write(text, 'latin1'),
        destroy: () => {
          destroyed = true;
          const gone = socket.closed
            ? Promise.resolve()
            : new Promise<void>((done) => socket.once('close', () => done()));
          socket.destroy();
          return gone;
        },
      });
    });
  });
}

/** Opens a serial line with the given binding (the platform's own, unless a test gives another). */
async function openSerial(
  endpoint: Extract<Endpoint, { transport: 'serial' }>,
  binding: SerialBinding | undefined,
  events: LinkEvents,
): Promise<Link> {
  const { SerialPort } = await import('serialport');
  const { path, baudRate, dataBits, parity, stopBits } = endpoint;
  const options = { path, baudRate, dataBits, parity, stopBits, autoOpen: false };
  // `SerialPort` takes a `binding` in place of the platform's, though its type does not say so.
  const port = new SerialPort(
    (binding ? { ...options, binding } : options) as SerialPortOpenOptions<typeof SerialPortClass.binding>,
  );
  let destroyed = false;
  await new Promise<void>((resolve, reject) =>
    port.open((error) =>
      error ? reject(new Error(`cannot open the serial line ${path}: ${error.message}`)) : resolve(),
    ),
  );
  port.on('data', lineSplitter(events));
  port.on('error', () => undefined); // 'close' follows and reports it
  port.on('close', () => {
    if (!destroyed) events.closed(new Error(`the serial line ${path} was closed`));
  });
  return {
    write: (text) => port.write(Buffer.from(text, 'latin1')),
    destroy: () => {
      destroyed = true;
      if (!port.isOpen) {
        port.destroy();
        return Promise.resolve();
      }
      return new Promise<void>((done) => port.close(() => done()));
    },
  };
}

/** Opens a link to an endpoint, cut into lines and reported to `events`. */
export function openLink(
  endpoint: Endpoint,
  timeoutMs: number,
  events: LinkEvents,
  binding?: SerialBinding,
): Promise<Link> {
  return endpoint.transport === 'tcp'
    ? openTcp(endpoint.host, endpoint.port, timeoutMs, events)
    : openSerial(endpoint, binding, events);
}
