// The one outbound HTTP client: fetch() with the address policy enforced at connect time,
// redirects followed by hand (each hop's URL and address checked again, at most `maxRedirects`),
// bounded waits, and failures reported as OutboundError reasons only. send() is the same for a
// caller that needs only the status and headers (alert deliveries): undici's request API instead
// of fetch, without WHATWG streams and Request/Response objects, and one socket write per request.
import { fetch as undiciFetch, request as undiciRequest, type Agent } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressPolicy } from './address-policy.ts';
import { createGuardedDispatcher } from './dispatcher.ts';
import { OutboundError, toOutboundError } from './errors.ts';
import { PLAIN_HTTP_PUBLIC, resolveAllowed, systemResolver, type Resolver } from './resolve.ts';
import { classifyAddress } from './address-policy.ts';
import { parseOutboundUrl } from './url.ts';

export interface OutboundClientOptions {
  /** POLICYWATCH_ALLOW_PRIVATE_URLS: loopback, private and unique-local targets allowed. */
  allowPrivate: boolean;
  /** CIDRs allowed although private (never lifts link-local, multicast, reserved…). */
  admit?: readonly string[] | undefined;
  resolver?: Resolver | undefined;
  maxRedirects?: number | undefined;
  connectTimeoutMs?: number | undefined;
  headersTimeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
  /** Plain http only to private (or admitted) addresses, judged at connect time and by checkUrl; public ones must use https. */
  httpPrivateOnly?: boolean | undefined;
}

export interface OutboundRequestInit {
  method?: string;
  headers?: Record<string, string>;
  /** Re-sendable bodies only: a 307/308 hop sends it again. */
  body?: string | Uint8Array;
  /** The caller's overall deadline / cancellation; a TimeoutError reason reports `timeout`. */
  signal?: AbortSignal;
}

export interface OutboundClient {
  /** Any HTTP status resolves (a 304 or 404 is the caller's to judge); redirects are followed. */
  fetch(url: string | URL, init?: OutboundRequestInit): Promise<Response>;
  /** As fetch, for a caller that reads no response body: it is discarded, the connection kept. */
  send(url: string | URL, init?: OutboundRequestInit): Promise<OutboundAnswer>;
  /**
   * Create-time validation: scheme, credentials, and the host resolves to an allowed address;
   * with `httpPrivateOnly`, a plain-http URL whose host has a public address is refused too.
   */
  checkUrl(url: string | URL): Promise<URL>;
  close(): Promise<void>;
}

/** What send() returns: the final hop's status and headers (names in lower case). */
export interface OutboundAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

/** One hop's answer, as the redirect loop needs it. */
interface Hop<T> {
  res: T;
  status: number;
  location: string | null;
  discard(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export const OUTBOUND_DEFAULTS = { maxRedirects: 3, connectTimeoutMs: 5_000, headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000 } as const;

export function createOutboundClient(o: OutboundClientOptions): OutboundClient {
  const policy: AddressPolicy = { allowPrivate: o.allowPrivate, admit: o.admit };
  const resolver = o.resolver ?? systemResolver;
  const maxRedirects = o.maxRedirects ?? OUTBOUND_DEFAULTS.maxRedirects;
  const connectTimeoutMs = o.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs;
  let agent: Agent | undefined;
  // Built on first use: a process that never fetches opens no pool.
  const dispatcher = () => (agent ??= createGuardedDispatcher({
    policy, resolver,
    connectTimeoutMs,
    headersTimeoutMs: o.headersTimeoutMs ?? OUTBOUND_DEFAULTS.headersTimeoutMs,
    bodyTimeoutMs: o.bodyTimeoutMs ?? OUTBOUND_DEFAULTS.bodyTimeoutMs,
    httpPrivateOnly: o.httpPrivateOnly,
  }));

  const failure = (err: unknown, init: OutboundRequestInit) => {
    const reason: unknown = init.signal?.reason;
    return toOutboundError(err, { timedOut: init.signal?.aborted === true && reason instanceof Error && reason.name === 'TimeoutError', aborted: init.signal?.aborted === true });
  };

  const fetchOnce = async (url: URL, init: OutboundRequestInit): Promise<Hop<Response>> => {
    try {
      const res = await undiciFetch(url, {
        method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: init.signal, redirect: 'manual', dispatcher: dispatcher(),
      }) as unknown as Response;
      return { res, status: res.status, location: res.headers.get('location'), discard: async () => void (await res.body?.cancel().catch(() => undefined)) };
    } catch (err) {
      throw failure(err, init);
    }
  };

  const sendOnce = async (url: URL, init: OutboundRequestInit): Promise<Hop<OutboundAnswer>> => {
    try {
      const r = await undiciRequest(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: init.signal, dispatcher: dispatcher() });
      const location = r.headers.location;
      return {
        res: { status: r.statusCode, headers: r.headers }, status: r.statusCode, location: typeof location === 'string' ? location : null,
        // Read to the end (a small answer) so the connection is reused; a large one is cut off.
        discard: () => r.body.dump({ limit: 64 * 1024 }).catch(() => undefined),
      };
    } catch (err) {
      throw failure(err, init);
    }
  };

  /** Follows redirects by hand: each hop's URL is parsed and its address judged again at connect. */
  const follow = async <T>(raw: string | URL, init: OutboundRequestInit, once: (url: URL, init: OutboundRequestInit) => Promise<Hop<T>>): Promise<Hop<T>> => {
    let url = parseOutboundUrl(raw);
    let req: OutboundRequestInit = { ...init };
    for (let hop = 0; ; hop++) {
      const res = await once(url, req);
      if (!REDIRECTS.has(res.status) || res.location === null) return res;
      await res.discard();
      if (hop >= maxRedirects) throw new OutboundError('too-many-redirects');
      let next: URL;
      try {
        next = new URL(res.location, url);
      } catch {
        throw new OutboundError('invalid-url', 'a redirect named an invalid URL');
      }
      next = parseOutboundUrl(next);
      // The same rules a browser applies: 303 (and 301/302 after a POST) become a bodiless GET,
      // and credentials meant for one origin are not sent to another.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && req.method === 'POST')) {
        const { body: _body, ...rest } = req;
        req = { ...rest, method: 'GET' };
      }
      if (next.origin !== url.origin && req.headers) {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['authorization', 'cookie'].includes(k.toLowerCase())));
        req = { ...req, headers };
      }
      url = next;
    }
  };

  return {
    async fetch(raw, init = {}) {
      return (await follow(raw, init, fetchOnce)).res;
    },
    async send(raw, init = {}) {
      const last = await follow(raw, init, sendOnce);
      await last.discard();
      return last.res;
    },
    async checkUrl(raw) {
      const url = parseOutboundUrl(raw);
      // A fetch's lookup falls under the connect timeout; a check outside a fetch gets the same bound.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OutboundError('timeout')), connectTimeoutMs);
      });
      let allowed;
      try {
        allowed = await Promise.race([resolveAllowed(url.hostname, policy, resolver), timeout]);
      } finally {
        clearTimeout(timer);
      }
      // Before any connection, stricter than the connector: a plain-http target with any public
      // address is refused, not only one whose addresses are all public.
      if (o.httpPrivateOnly && url.protocol === 'http:' && allowed.some((a) => classifyAddress(a.address) === 'public')) {
        throw new OutboundError('blocked-scheme', PLAIN_HTTP_PUBLIC);
      }
      return url;
    },
    async close() {
      await agent?.close();
    },
  };
}
