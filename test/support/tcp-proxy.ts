// A TCP proxy in front of Postgres that can stop forwarding: while "dropped", bytes already
// accepted stay buffered and nothing reaches either side, as when the network silently drops
// packets (no RST, no FIN: the client only sees silence). Restored, buffered bytes flow on.
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** postgres://…@127.0.0.1:<proxy port>/… for a URL that pointed at the target. */
  url(targetUrl: string): string;
  drop(): void;
  restore(): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let dropped = false;
  const pairs = new Set<{ client: Socket; upstream: Socket | undefined; connectUpstream(): void }>();

  const server = createServer((client) => {
    const pair = {
      client,
      upstream: undefined as Socket | undefined,
      connectUpstream() {
        if (pair.upstream) return;
        const up = connect(targetPort, targetHost);
        pair.upstream = up;
        client.on('data', (d: Buffer) => up.write(d));
        up.on('data', (d: Buffer) => client.write(d));
        const end = () => {
          client.destroy();
          up.destroy();
          pairs.delete(pair);
        };
        client.on('close', end).on('error', end);
        up.on('close', end).on('error', end);
      },
    };
    pairs.add(pair);
    if (dropped) client.pause(); // connected at the TCP level, but nothing answers
    else pair.connectUpstream();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.href;
    },
    drop() {
      dropped = true;
      for (const p of pairs) {
        p.client.pause();
        p.upstream?.pause();
      }
    },
    restore() {
      dropped = false;
      for (const p of pairs) {
        p.connectUpstream();
        p.client.resume();
        p.upstream?.resume();
      }
    },
    async stop() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
