// An HTTP proxy in front of the fake IAM endpoint that can hold chosen requests until the test
// releases them. Unlike a delay, a gate makes an overlap certain however slow the machine is:
// "process A is mid-poll" stays true until the test says otherwise.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatedRequest {
  action: string;
  params: Readonly<Record<string, string>>;
}

export type HoldPredicate = (r: GatedRequest) => boolean;

export interface GateProxy {
  url: string;
  /** Holds every later request matching `predicate` (replaces the previous predicate). */
  hold(predicate: HoldPredicate): void;
  /** Stops holding and lets every held request through. */
  release(): void;
  /** Requests waiting at the gate right now. */
  held(): readonly GatedRequest[];
  /** Requests that reached the proxy (held or not). */
  seen(): readonly GatedRequest[];
  stop(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startGateProxy(target: string): Promise<GateProxy> {
  const t = new URL(target);
  let predicate: HoldPredicate | undefined;
  const waiting = new Set<{ r: GatedRequest; go: () => void }>();
  const seen: GatedRequest[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    if (res.destroyed) return;
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const params: Record<string, string> = {};
      for (const [k, v] of new URL(req.url ?? '/', 'http://gate.invalid').searchParams) params[k] = v;
      if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = v;
      const r: GatedRequest = { action: params.Action ?? '', params };
      seen.push(r);
      if (predicate?.(r)) {
        await new Promise<void>((go) => {
          const w = { r, go };
          waiting.add(w);
          // A client that gave up (killed process) no longer waits at the gate.
          res.on('close', () => {
            if (waiting.delete(w)) go();
          });
        });
      }
      forward(req, body, res);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const releaseAll = () => {
    predicate = undefined;
    for (const w of [...waiting]) {
      waiting.delete(w);
      w.go();
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    hold: (p) => {
      predicate = p;
    },
    release: releaseAll,
    held: () => [...waiting].map((w) => w.r),
    seen: () => seen,
    stop: async () => {
      releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The policy a request is about (from its PolicyArn), if any. */
export function policyOf(r: GatedRequest): string | undefined {
  return r.params.PolicyArn?.split('/').at(-1);
}
