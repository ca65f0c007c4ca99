// A local alert receiver: records every request (headers, raw body, arrival time) and answers
// from a script, so tests can play Slack or a webhook consumer that fails, throttles or hangs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './cli.ts';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** What to do with the n-th request (0-based): a status (and headers), or 'hang' (never answer). */
export type Answer = { status: number; headers?: Record<string, string> } | 'hang';

export class Receiver {
  readonly requests: Received[] = [];
  private server: Server | undefined;
  private readonly hanging: ServerResponse[] = [];
  /** Requests being answered right now, per webhook-id (for the "never twice at once" check). */
  readonly inflight = new Map<string, number>();
  maxConcurrentPerId = 0;
  port = 0;

  constructor(private answer: (n: number, r: Received) => Answer = () => ({ status: 200 }), private readonly delayMs = 0) {}

  setAnswer(fn: (n: number, r: Received) => Answer) {
    this.answer = fn;
  }

  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        const n = this.requests.push(r) - 1;
        const id = String(req.headers['webhook-id'] ?? '');
        const now = (this.inflight.get(id) ?? 0) + 1;
        this.inflight.set(id, now);
        this.maxConcurrentPerId = Math.max(this.maxConcurrentPerId, now);
        const a = this.answer(n, r);
        if (a === 'hang') {
          this.hanging.push(res);
          return;
        }
        setTimeout(() => {
          this.inflight.set(id, (this.inflight.get(id) ?? 1) - 1);
          res.writeHead(a.status, a.headers ?? {}).end('ok');
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging.splice(0)) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** Waits until `n` requests have arrived (or throws after `ms`). */
  async waitFor(n: number, ms = 30_000): Promise<Received[]> {
    const until = Date.now() + ms;
    while (this.requests.length < n) {
      if (Date.now() > until) throw new Error(`receiver got ${this.requests.length} of ${n} requests in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.requests;
  }
}

/** Polls `fn` until its value passes `ok`, and returns that value (waitFor with a predicate). */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000, what = 'condition'): Promise<T> {
  const hit = await waitFor(what, async () => {
    const v = await fn();
    return ok(v) ? { v } : undefined;
  }, { timeoutMs: ms, intervalMs: 100 });
  return hit.v;
}
