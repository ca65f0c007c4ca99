// The one outbound HTTP client: fetch() with the address policy enforced at connect time,
// redirects followed by hand (each hop's URL and address checked again, at most `maxRedirects`),
// bounded waits, and failures reported as OutboundError reasons only.
import { fetch as undiciFetch, type Agent } from 'undici';
import type { AddressPolicy } from './address-policy.ts';
import { createGuardedDispatcher } from './dispatcher.ts';
import { OutboundError, toOutboundError } from './errors.ts';
import { resolveAllowed, systemResolver, type Resolver } from './resolve.ts';
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
  /** Create-time validation: scheme, credentials, and the host resolves to an allowed address. */
  checkUrl(url: string | URL): Promise<URL>;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export const OUTBOUND_DEFAULTS = { maxRedirects: 3, connectTimeoutMs: 5_000, headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000 } as const;

export function createOutboundClient(o: OutboundClientOptions): OutboundClient {
  const policy: AddressPolicy = { allowPrivate: o.allowPrivate, admit: o.admit };
  const resolver = o.resolver ?? systemResolver;
  const maxRedirects = o.maxRedirects ?? OUTBOUND_DEFAULTS.maxRedirects;
  let agent: Agent | undefined;
  // Built on first use: a process that never fetches opens no pool.
  const dispatcher = () => (agent ??= createGuardedDispatcher({
    policy, resolver,
    connectTimeoutMs: o.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs,
    headersTimeoutMs: o.headersTimeoutMs ?? OUTBOUND_DEFAULTS.headersTimeoutMs,
    bodyTimeoutMs: o.bodyTimeoutMs ?? OUTBOUND_DEFAULTS.bodyTimeoutMs,
  }));

  const once = async (url: URL, init: OutboundRequestInit): Promise<Response> => {
    try {
      const res = await undiciFetch(url, {
        method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: init.signal, redirect: 'manual', dispatcher: dispatcher(),
      });
      return res as unknown as Response;
    } catch (err) {
      const reason: unknown = init.signal?.reason;
      throw toOutboundError(err, { timedOut: init.signal?.aborted === true && reason instanceof Error && reason.name === 'TimeoutError', aborted: init.signal?.aborted === true });
    }
  };

  return {
    async fetch(raw, init = {}) {
      let url = parseOutboundUrl(raw);
      let req: OutboundRequestInit = { ...init };
      for (let hop = 0; ; hop++) {
        const res = await once(url, req);
        const location = res.headers.get('location');
        if (!REDIRECTS.has(res.status) || location === null) return res;
        await res.body?.cancel().catch(() => undefined);
        if (hop >= maxRedirects) throw new OutboundError('too-many-redirects');
        let next: URL;
        try {
          next = new URL(location, url);
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
    },
    async checkUrl(raw) {
      const url = parseOutboundUrl(raw);
      await resolveAllowed(url.hostname, policy, resolver);
      return url;
    },
    async close() {
      await agent?.close();
    },
  };
}
