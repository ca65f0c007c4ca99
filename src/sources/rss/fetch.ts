// IO half of the documentation-history source: conditional GET with a hard time and size budget,
// then the pure parser. pollFeed/pollFeeds never throw for anything a feed or network can do; a
// failure is returned as data so one broken feed cannot stop the others. Every request goes
// through the outbound-URL guard; failures carry its short stable reasons, never socket text.
import { TextDecoder } from 'node:util';
import { toOutboundError, type OutboundClient, type OutboundError, type OutboundReason } from '../outbound/index.ts';
import { DEFAULT_MAX_FEED_BYTES, FeedParseError, parseFeed } from './parse.ts';
import type { ParsedFeed } from './parse.ts';

export type FeedFetchErrorCode = OutboundReason | 'too_large';

export class FeedFetchError extends Error {
  readonly code: FeedFetchErrorCode;
  /** HTTP status for `http-<status>`. */
  readonly status?: number;
  constructor(code: FeedFetchErrorCode, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FeedFetchError';
    this.code = code;
    if (opts.status !== undefined) this.status = opts.status;
  }

  static from(err: OutboundError): FeedFetchError {
    return new FeedFetchError(err.reason, err.message, { cause: err });
  }
}

/** The part of the outbound client a feed fetch needs (tests may hand a fake). */
export type FeedHttp = Pick<OutboundClient, 'fetch'>;

export interface FetchFeedOptions {
  http: FeedHttp;
  etag?: string;
  lastModified?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Caller cancellation (e.g. shutdown); reported as 'aborted', distinct from our own timeout. */
  signal?: AbortSignal;
  userAgent?: string;
}

export type FetchFeedResult =
  | { status: 'not_modified' }
  | { status: 'ok'; body: string; etag?: string; lastModified?: string };

const DEFAULT_USER_AGENT = 'policywatch (AWS managed policy change tracker)';

// A stored validator comes back from a remote server; only send it if it is a legal header value.
function headerSafe(v: string | undefined): string | undefined {
  return v !== undefined && v !== '' && v.length <= 1024 && /^[\x20-\x7e\t]+$/.test(v) ? v : undefined;
}

function charsetOf(contentType: string | null): string {
  const m = contentType === null ? null : /;\s*charset\s*=\s*"?([A-Za-z0-9._:-]+)"?/i.exec(contentType);
  return m ? (m[1] as string) : 'utf-8';
}

function decode(chunks: Uint8Array[], total: number, charset: string): string {
  const buf = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.byteLength;
  }
  try {
    return new TextDecoder(charset).decode(buf);
  } catch {
    return new TextDecoder('utf-8').decode(buf); // unknown label: AWS feeds are UTF-8
  }
}

/**
 * Fetches a feed with conditional-GET validators. The timeout covers the whole exchange including
 * the body, and the size cap is enforced while streaming: the transfer is cancelled as soon as it
 * is exceeded, so a hostile 50 MB body never sits in memory.
 */
export async function fetchFeed(url: string, opts: FetchFeedOptions): Promise<FetchFeedResult> {
  if (!(opts.timeoutMs > 0) || !Number.isFinite(opts.timeoutMs)) throw new RangeError('timeoutMs must be a positive number');
  if (!(opts.maxBytes > 0) || !Number.isFinite(opts.maxBytes)) throw new RangeError('maxBytes must be a positive number');
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const classify = (err: unknown, phase: 'connect' | 'body'): FeedFetchError => {
    if (err instanceof FeedFetchError) return err;
    if (timeout.aborted) return new FeedFetchError('timeout', `timed out after ${opts.timeoutMs} ms`, { cause: err });
    if (opts.signal?.aborted) return new FeedFetchError('aborted', 'aborted by the caller', { cause: err });
    return FeedFetchError.from(toOutboundError(err, { phase }));
  };

  const headers: Record<string, string> = {
    accept: 'application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1',
    'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT,
  };
  const etag = headerSafe(opts.etag);
  const lastModified = headerSafe(opts.lastModified);
  if (etag !== undefined) headers['if-none-match'] = etag;
  if (lastModified !== undefined) headers['if-modified-since'] = lastModified;

  let res: Response;
  try {
    res = await opts.http.fetch(url, { method: 'GET', headers, signal });
  } catch (err) {
    throw classify(err, 'connect');
  }

  if (res.status === 304) {
    await res.body?.cancel().catch(() => undefined);
    if (etag === undefined && lastModified === undefined) {
      throw new FeedFetchError('http-304', 'HTTP 304 to an unconditional request', { status: 304 });
    }
    return { status: 'not_modified' };
  }
  if (res.status < 200 || res.status > 299) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedFetchError(`http-${res.status}`, `HTTP ${res.status}`, { status: res.status });
  }

  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedFetchError('too_large', `feed declares ${declared} bytes, over the ${opts.maxBytes}-byte limit`);
  }

  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > opts.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new FeedFetchError('too_large', `feed body exceeds the ${opts.maxBytes}-byte limit`);
        }
        chunks.push(value);
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      throw classify(err, 'body');
    }
  }

  const out: FetchFeedResult = { status: 'ok', body: decode(chunks, total, charsetOf(res.headers.get('content-type'))) };
  const newEtag = res.headers.get('etag');
  const newLastModified = res.headers.get('last-modified');
  if (newEtag !== null) out.etag = newEtag;
  if (newLastModified !== null) out.lastModified = newLastModified;
  return out;
}

/** Conditional-GET validators remembered between polls of one feed. */
export interface FeedPollState {
  etag?: string;
  lastModified?: string;
}

export interface PollOptions {
  http: FeedHttp;
  timeoutMs: number;
  /** Cap on the transferred body and on the document handed to the parser. */
  maxBytes?: number;
  signal?: AbortSignal;
  userAgent?: string;
}

export interface FeedPollError {
  stage: 'fetch' | 'parse' | 'internal';
  code: FeedFetchErrorCode | FeedParseError['code'] | 'internal';
  message: string;
  httpStatus?: number;
}

export type FeedPollResult =
  | { ok: true; url: string; status: 'not_modified'; state: FeedPollState }
  | { ok: true; url: string; status: 'updated'; feed: ParsedFeed; state: FeedPollState }
  /** On failure `state` is the state passed in: validators of an unparsed body are never kept. */
  | { ok: false; url: string; error: FeedPollError; state: FeedPollState };

/** Fetch + parse one feed. Never rejects. */
export async function pollFeed(url: string, state: FeedPollState, opts: PollOptions): Promise<FeedPollResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FEED_BYTES;
  try {
    const fetchOpts: FetchFeedOptions = { http: opts.http, timeoutMs: opts.timeoutMs, maxBytes };
    if (state.etag !== undefined) fetchOpts.etag = state.etag;
    if (state.lastModified !== undefined) fetchOpts.lastModified = state.lastModified;
    if (opts.signal !== undefined) fetchOpts.signal = opts.signal;
    if (opts.userAgent !== undefined) fetchOpts.userAgent = opts.userAgent;
    const res = await fetchFeed(url, fetchOpts);
    if (res.status === 'not_modified') return { ok: true, url, status: 'not_modified', state };
    const feed = parseFeed(res.body, url, { maxBytes });
    // Keeping the validators of a body that failed to parse would make the next poll a 304 and
    // hide the feed until it changes again; they are only stored after a successful parse.
    const next: FeedPollState = {};
    if (res.etag !== undefined) next.etag = res.etag;
    if (res.lastModified !== undefined) next.lastModified = res.lastModified;
    return { ok: true, url, status: 'updated', feed, state: next };
  } catch (err) {
    let error: FeedPollError;
    if (err instanceof FeedFetchError) {
      error = { stage: 'fetch', code: err.code, message: err.message };
      if (err.status !== undefined) error.httpStatus = err.status;
    } else if (err instanceof FeedParseError) {
      error = { stage: 'parse', code: err.code, message: err.message };
    } else {
      // A bug of ours, not the feed's: its text may name internals, so the record keeps a fixed message.
      error = { stage: 'internal', code: 'internal', message: 'unexpected error while polling the feed' };
    }
    return { ok: false, url, error, state };
  }
}

/** Polls several feeds with bounded concurrency; results are in input order, one per target. */
export async function pollFeeds(
  targets: ReadonlyArray<{ url: string; state?: FeedPollState }>,
  opts: PollOptions & { concurrency?: number },
): Promise<FeedPollResult[]> {
  const results = new Array<FeedPollResult>(targets.length);
  const limit = Math.max(1, Math.min(opts.concurrency ?? 4, targets.length));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i] as { url: string; state?: FeedPollState };
      results[i] = await pollFeed(t.url, t.state ?? {}, opts);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
