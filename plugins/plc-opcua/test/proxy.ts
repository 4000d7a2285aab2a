import net from 'node:net';

/**
 * A TCP relay on the loopback between the connector and a server, that can freeze: a frozen relay
 * keeps its connections open and passes nothing on, like a server that hangs mid-session.
 */
export class FreezingRelay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  frozen = false;

  constructor(private readonly target: number) {}

  /** Starts the relay and gives its port. */
  async start(): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('data', (chunk) => {
          if (!this.frozen) to.write(chunk);
        });
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.on('error', () => from.destroy());
      }
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Drops the connections the relay froze, so that new ones pass again. */
  thaw(): void {
    for (const socket of this.sockets) socket.destroy();
    this.frozen = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
