// HTTP caching for GET routes, by the route's `config.cache`:
//   'data'        the answer depends only on the stored data (and the request's path and query):
//                 served from an in-process cache while the data generation is unchanged, with
//                 Cache-Control that lets browsers and proxies reuse it for a short time;
//   'revalidate'  (default) computed every time, reusable only after revalidation (no-cache);
//   'none'        liveness and readiness: never stored anywhere (no-store).
// Every 200 gets a strong ETag (a hash of the identity body; "-br"/"-gzip" appended when the
// body is sent compressed, as each encoding is its own representation) and If-None-Match → 304.
//
// Never stale: a cached answer is used only when the generation read for this request (a read
// that started after the request arrived, services/generation.ts) equals the generation it was
// computed under, and the generation is bumped in the same commit as the data (see the
// data_generation migration), on every replica alike.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import compress from '@fastify/compress';
import { constants as zlib } from 'node:zlib';
import { appendRouteHook } from './route-hooks.ts';

export type CacheMode = 'data' | 'revalidate' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** HTTP caching of this GET route (src/http/caching.ts); default 'revalidate'. */
    cache?: CacheMode;
  }
}

/** How long a browser or proxy may reuse a 'data' answer without asking again. */
export const DATA_MAX_AGE_SECONDS = 30;
const CACHE_CONTROL: Record<CacheMode, string> = {
  data: `public, max-age=${DATA_MAX_AGE_SECONDS}`,
  revalidate: 'no-cache',
  none: 'no-store',
};

const PRIVATE_DATA = CACHE_CONTROL.data.replace('public', 'private');

/** An answer to a request with credentials is for that client only: browsers may keep it, shared caches not. */
function cacheControl(req: FastifyRequest, mode: CacheMode): string {
  return mode === 'data' && req.headers.authorization !== undefined ? PRIVATE_DATA : CACHE_CONTROL[mode];
}

interface Entry {
  generation: string;
  body: Buffer;
  etag: string;
  contentType: string;
}

/** Least-recently-used entries, bounded by total body bytes. */
export class ResponseCache {
  private readonly entries = new Map<string, Entry & { used: number }>();
  private bytes = 0;
  /** Use stamps instead of re-inserting on every hit: a hit is the hot path, eviction is rare. */
  private clock = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string, generation: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.generation !== generation) {
      this.delete(key);
      return undefined;
    }
    e.used = ++this.clock;
    return e;
  }

  set(key: string, e: Entry): void {
    this.delete(key);
    if (e.body.length > this.maxBytes / 4) return; // one huge answer must not flush everything else
    this.entries.set(key, { ...e, used: ++this.clock });
    this.bytes += e.body.length;
    if (this.bytes <= this.maxBytes) return;
    for (const [k, old] of [...this.entries].sort((a, b) => a[1].used - b[1].used)) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= old.body.length;
    }
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.bytes -= e.body.length;
    }
  }
}

const ETAG_SUFFIX: Record<string, string> = { br: '-br', gzip: '-gzip', deflate: '-deflate' };

const etagOf = (body: string | Buffer) => `"${createHash('sha1').update(body).digest('base64url')}"`;

/** If-None-Match against the identity ETag: any listed tag of the same body (any encoding, weak or not), or *. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const base = etag.slice(1, -1);
  for (const raw of header.split(',')) {
    const t = raw.trim().replace(/^W\//, '');
    if (t === '*') return true;
    const inner = t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
    if (inner === base || Object.values(ETAG_SUFFIX).some((s) => inner === base + s)) return true;
  }
  return false;
}

/** Path plus query parameters in a canonical order: one entry per distinct question. */
function cacheKey(req: FastifyRequest): string {
  const url = req.raw.url ?? '/';
  const qi = url.indexOf('?');
  if (qi < 0 || !url.includes('&', qi)) return url; // one parameter or none: already canonical
  const parts = url.slice(qi + 1).split('&').filter(Boolean).sort();
  return `${url.slice(0, qi)}?${parts.join('&')}`;
}

/** What the lookup learnt about a 'data' request, for the onSend hook. */
interface CacheState {
  key: string;
  generation: string;
  /** Served from the cache: the ETag is known, nothing to hash or store. */
  hitEtag?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the response cache's lookup (src/http/caching.ts) on GET and HEAD of 'data' routes. */
    responseCache: CacheState | null;
  }
}

const isRead = (req: FastifyRequest) => req.method === 'GET' || req.method === 'HEAD';

export default fp(async function caching(app: FastifyInstance, opts: { maxBytes?: number; generation: () => Promise<string> }) {
  const cache = new ResponseCache(opts.maxBytes ?? 64 * 1024 * 1024);
  app.decorateRequest('responseCache', null);

  // The lookup runs as the route's last preHandler, after every application-level hook (API-key
  // checks included): a cached answer is never handed to a request that would have been refused.
  const lookup = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isRead(req)) return;
    const s: CacheState = { key: cacheKey(req), generation: await opts.generation() };
    req.responseCache = s;
    const hit = cache.get(s.key, s.generation);
    if (!hit) return;
    s.hitEtag = hit.etag;
    reply.header('etag', hit.etag).header('cache-control', cacheControl(req, 'data'));
    if (matchesIfNoneMatch(req.headers['if-none-match'], hit.etag)) return reply.code(304).send();
    return reply.type(hit.contentType).send(hit.body);
  };

  // Runs before compression (the route-level hook @fastify/compress adds): Cache-Control, and the
  // ETag of the identity body. Each GET route gets its own, with its caching mode known.
  const etagHook = (mode: CacheMode) => (req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    if (reply.statusCode !== 200 || !isRead(req)) return done(null, payload);
    const s = req.responseCache;
    if (s?.hitEtag) return done(null, payload);
    reply.header('cache-control', cacheControl(req, mode));
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload);
    const etag = etagOf(payload);
    reply.header('etag', etag);
    if (s) cache.set(s.key, { generation: s.generation, body: Buffer.from(payload), etag, contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8') });
    if (matchesIfNoneMatch(req.headers['if-none-match'], etag)) {
      reply.code(304);
      return done(null, null);
    }
    return done(null, payload);
  };

  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (!methods.includes('GET') && !methods.includes('HEAD')) return;
    const mode = route.config?.cache ?? 'revalidate';
    if (mode === 'data') appendRouteHook(route, 'preHandler', lookup);
    appendRouteHook(route, 'onSend', etagHook(mode));
  });

  // Compression: br or gzip as the client accepts, for answers of 1 KiB and more. Brotli at
  // quality 4: close to gzip's speed with smaller output (11, the zlib default, costs ~50× the CPU).
  await app.register(compress, {
    global: true,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    globalDecompression: false,
    brotliOptions: { params: { [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });

  // After compression: a compressed body is another representation, so another strong ETag.
  const encodedEtag = (_req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    const enc = reply.getHeader('content-encoding');
    const etag = reply.getHeader('etag');
    const suffix = typeof enc === 'string' ? ETAG_SUFFIX[enc] : undefined;
    if (suffix && typeof etag === 'string' && etag.endsWith('"') && !etag.endsWith(`${suffix}"`)) reply.header('etag', `${etag.slice(0, -1)}${suffix}"`);
    done(null, payload);
  };
  app.addHook('onRoute', (route) => appendRouteHook(route, 'onSend', encodedEtag));
}, { name: 'caching' });
