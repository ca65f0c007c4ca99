// One info line per request, written when the response is finished (instead of Fastify's two:
// "incoming request" and "request completed", plus a third for a 4xx). Probes (/healthz,
// /readyz, /metrics) are polled every few seconds by orchestrators and scrapers and would drown
// everything else: they are not logged at all. Server errors (5xx) are still logged with their
// error, by the error handler and here at `error` level.
import { LogController, type FastifyBaseLogger, type FastifyServerOptions, type FastifyReply, type FastifyRequest } from 'fastify';
import { symbols as pinoSymbols } from 'pino';

export const UNLOGGED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (req: FastifyRequest) => (req.raw.url ?? '/').split('?')[0] ?? '/';

export class RequestLogController extends LogController {
  /** The request line's logger: the app's logger without redaction (see requestCompleted). */
  private lineLogger: { parent: FastifyBaseLogger; child: FastifyBaseLogger } | undefined;

  constructor() {
    super({ disableRequestLogging: (req: FastifyRequest) => UNLOGGED_PATHS.has(pathOf(req)) });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null, req: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(req)) return;
    const line = { method: req.method, url: req.raw.url, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    // The line's fields (method, URL, status, time, request id) are strings and numbers that never
    // held a credential (the URL was never redacted: redaction censors keys, and API keys travel
    // in a header), so it skips the logger's redaction, which re-parses its 40 paths for every
    // field of every line: with it, the line cost 17 µs, a fifth of the CPU of a cached answer.
    // Lines that carry objects (errors above, everything else the service logs) keep it.
    else this.unredacted(req.server.log).info({ reqId: req.id, ...line }, 'request');
  }

  /** 4xx are answers, not errors: the request line says enough. */
  override defaultErrorLog(error: Error, req: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500 && !this.isLogDisabled(req)) reply.log.error({ err: error }, error.message);
  }

  private unredacted(parent: FastifyBaseLogger): FastifyBaseLogger {
    if (this.lineLogger?.parent !== parent) this.lineLogger = { parent, child: parent.child({}, { redact: { paths: [] } }) };
    return this.lineLogger.child;
  }
}

/**
 * Fastify's per-request child logger (`request.log`, bound to the request id), made without
 * running the binding through the logger's redaction: pino passes every binding's value through
 * its redaction (3 µs for the id alone, on every request, though nothing logs through most
 * request loggers), and the id is a string Fastify generated, which no redaction path can match.
 * The child is made without bindings and the id's JSON appended to its bindings as pino writes
 * them (`,"reqId":"…"`). Any other logger (none is configured; `logger: false` in tests) gets the
 * default treatment.
 */
export const requestChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = function (logger, bindings, opts) {
  const extra = Object.keys(opts).length > 0 ? opts : undefined;
  const entries = Object.entries(bindings);
  const child = logger.child({}, extra) as FastifyBaseLogger & Record<symbol, unknown>;
  const chindings = child[pinoSymbols.chindingsSym];
  if (typeof chindings !== 'string' || entries.some(([, v]) => typeof v !== 'string')) return logger.child(bindings, opts);
  child[pinoSymbols.chindingsSym] = chindings + entries.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');
  return child;
};
