// A TCP proxy on 127.0.0.1:0 that a test can cut (reset every connection)
// or stall (stop forwarding while keeping the sockets open: a dead path
// that TCP does not notice). The JS twin of tests/support/tcp_proxy.h.

import net from 'node:net';

export class TcpProxy {
  static async start(targetPort) {
    const proxy = new TcpProxy(targetPort);
    await new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = proxy.server.address().port;
    return proxy;
  }

  constructor(targetPort) {
    this.targetPort = targetPort;
    this.pairs = new Set();
    this.stalled = false;
    this.server = net.createServer((client) => {
      if (this.stalled) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
  }

  get connections() { return this.pairs.size; }

  /** Resets every connection; new ones are accepted. */
  cut() {
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Forwards nothing more, in either direction, and refuses new connections; sockets stay open. */
  stall() {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  resume() { this.stalled = false; }

  async close() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
