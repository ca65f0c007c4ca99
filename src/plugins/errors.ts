// One error shape for the whole API: { error: { code, message, details? } }.
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';
import { isDatabaseUnavailable } from '../core/unavailable.ts';
import { describeValidation } from '../http/validation-message.ts';

/** Seconds a client is asked to wait when the database is out of reach. */
const DB_RETRY_AFTER_S = 5;

/** Fastify's own 4xx codes, as ours. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_BODY',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const p = describeValidation(fe.validation[0], fe.validationContext);
      return reply.status(400).send({ error: { code: p.code, message: p.message, details: p.details } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      const code = (fe.code && FASTIFY_CODES[fe.code]) ?? fe.code?.replace(/^FST_ERR_/, '') ?? 'BAD_REQUEST';
      return reply.status(fe.statusCode).send({ error: { code, message: fe.message } });
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err }, 'database unavailable');
      return reply.status(503).header('retry-after', String(DB_RETRY_AFTER_S))
        .send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database cannot be reached right now; retry later' } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  // 404 for a path no route serves; 405 (with Allow) for a path served under other methods.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const allowed = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => m !== req.method && app.findRoute({ method: m as 'GET', url: path }));
    if (allowed.length > 0) {
      return reply.status(405).header('allow', allowed.join(', ')).send({ error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed on ${path}; use ${allowed.join(', ')}` } });
    }
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${path}` } });
  });
}, { name: 'errors' });
