// Why an outbound request did not produce a usable response, as a short stable reason. These
// reasons (never the socket's own text, which names internal addresses and ports) are what poll
// runs record and what API responses may show.
export type OutboundReason =
  | 'invalid-url'
  | 'blocked-scheme'
  | 'blocked-address'
  | 'dns-failed'
  | 'connect-failed'
  | 'tls-failed'
  | 'response-failed'
  | 'timeout'
  | 'aborted'
  | 'too-many-redirects'
  | `http-${number}`;

const MESSAGES: Record<string, string> = {
  'invalid-url': 'not an absolute http(s) URL without credentials',
  'blocked-scheme': 'only http and https URLs are fetched',
  'blocked-address': 'the host is, or resolves to, an address outbound requests may not reach',
  'dns-failed': 'the host name could not be resolved',
  'connect-failed': 'the connection could not be established',
  'tls-failed': 'the TLS handshake failed',
  'response-failed': 'the connection failed while the response was read',
  timeout: 'the request timed out',
  aborted: 'the request was cancelled',
  'too-many-redirects': 'more redirects than allowed',
};

export class OutboundError extends Error {
  constructor(readonly reason: OutboundReason, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? MESSAGES[reason] ?? `the server answered HTTP ${reason.slice(5)}`, options);
    this.name = 'OutboundError';
  }

  static http(status: number): OutboundError {
    return new OutboundError(`http-${status}`);
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The OutboundError (or its cause) hidden somewhere in an error's cause chain. */
function findCause(err: unknown): { outbound?: OutboundError; code?: string; tls: boolean } {
  let tls = false;
  let code: string | undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof OutboundError) return { outbound: e, tls };
    const c = (e as NodeJS.ErrnoException).code;
    if (typeof c === 'string') {
      code ??= c;
      if (c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || /CERT|SELF_SIGNED/.test(c)) tls = true;
    }
  }
  return code === undefined ? { tls } : { code, tls };
}

/**
 * Maps whatever undici or the socket threw to an OutboundError. `phase` says whether the response
 * had started: a reset after the headers is a failed response, not a failed connection.
 */
export function toOutboundError(err: unknown, ctx: { timedOut?: boolean; aborted?: boolean; phase?: 'connect' | 'body' } = {}): OutboundError {
  const found = findCause(err);
  if (found.outbound) return found.outbound;
  if (ctx.timedOut) return new OutboundError('timeout', undefined, { cause: err });
  if (ctx.aborted) return new OutboundError('aborted', undefined, { cause: err });
  const code = found.code;
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new OutboundError('timeout', undefined, { cause: err });
  if (found.tls) return new OutboundError('tls-failed', undefined, { cause: err });
  if (code !== undefined && DNS_CODES.has(code)) return new OutboundError('dns-failed', undefined, { cause: err });
  if (ctx.phase === 'body') return new OutboundError('response-failed', undefined, { cause: err });
  // Refused, unreachable, reset before any response, or anything unrecognised: the same reason,
  // so a caller cannot tell a closed port from a filtered one.
  return new OutboundError('connect-failed', undefined, { cause: err });
}
