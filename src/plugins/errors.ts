// One error shape for the whole API: { error: { code, message, details? } }.
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';
import { isDatabaseUnavailable } from '../core/unavailable.ts';

/** Seconds a client is asked to wait when the database is out of reach. */
const DB_RETRY_AFTER_S = 5;

export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply.status(400).send({ error: { code: 'INVALID_REQUEST', message: `${fe.validationContext ?? 'request'} ${fe.message.replace(/^(querystring|params|body)\/?/, '')}`.trim() } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error: { code: fe.code ?? 'BAD_REQUEST', message: fe.message } });
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err }, 'database unavailable');
      return reply.status(503).header('retry-after', String(DB_RETRY_AFTER_S))
        .send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database cannot be reached right now; retry later' } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.url.split('?')[0]}` } });
  });
}, { name: 'errors' });
