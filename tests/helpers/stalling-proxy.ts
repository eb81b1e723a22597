import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can stall like a paused server (SIGSTOP, a dead network
 * path): while stalled it accepts connections but forwards no bytes either way, so the kernel
 * buffers them and nobody gets an answer or an error. `resume()` lets everything through again.
 */
export class StallingProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  private held: Array<() => void> = [];
  private stalled = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The same database URL, through the proxy. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (const release of held) release();
  }

  async stop(): Promise<void> {
    this.resume();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    const upstream = net.connect(this.target);
    this.track(upstream);
    this.forward(client, upstream);
    this.forward(upstream, client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }

  /** Bytes that arrive while stalled are held, in order, until resume(). */
  private forward(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.stalled) this.held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }
}
