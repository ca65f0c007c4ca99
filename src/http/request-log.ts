// One info line per request, written when the response is finished (instead of Fastify's two:
// "incoming request" and "request completed", plus a third for a 4xx). Probes (/healthz,
// /readyz, /metrics) are polled every few seconds by orchestrators and scrapers and would drown
// everything else: they are not logged at all. Server errors (5xx) are still logged with their
// error, by the error handler and here at `error` level.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export const UNLOGGED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (req: FastifyRequest) => (req.raw.url ?? '/').split('?')[0] ?? '/';

export class RequestLogController extends LogController {
  constructor() {
    super({ disableRequestLogging: (req: FastifyRequest) => UNLOGGED_PATHS.has(pathOf(req)) });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null, req: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(req)) return;
    const line = { method: req.method, url: req.raw.url, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }

  /** 4xx are answers, not errors: the request line says enough. */
  override defaultErrorLog(error: Error, req: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500 && !this.isLogDisabled(req)) reply.log.error({ err: error }, error.message);
  }
}
