// Request rate limits (@fastify/rate-limit): per API key when the caller sent a valid one, else
// per client address, so one noisy client cannot starve the rest. Counters live in this
// process's memory: with several replicas each allows the limit. Public routes (health,
// readiness) are not limited: probes must never be refused.
import fp from 'fastify-plugin';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';
import { routeAccess } from './auth.ts';

export default fp(async function rateLimits(app: FastifyInstance, opts: { max: number; windowSeconds: number }) {
  await app.register(rateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.windowSeconds * 1000,
    keyGenerator: (req) => (req.principal ? `key:${req.principal.keyId}` : `ip:${normalizeIP(req.ip)}`),
    allowList: (req) => routeAccess(req) === 'public',
    // Thrown by the plugin after it set Retry-After; our error handler gives it our shape.
    errorResponseBuilder: (_req, ctx) => new AppError('RATE_LIMITED', `too many requests; retry in ${ctx.after}`, ctx.statusCode),
  });
}, { name: 'rate-limits', dependencies: ['auth'] });
