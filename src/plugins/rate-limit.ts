// Request rate limits (@fastify/rate-limit): per API key when the caller sent a valid one, else
// per client address, so one noisy client cannot starve the rest. Counters live in this
// process's memory: with several replicas each allows the limit. Public routes (health,
// readiness) are not limited: probes must never be refused.
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';

/**
 * A connection's client address in the limiter's normal form, worked out once per connection
 * (normalizeIP runs a long IPv6 regular expression) and again only if the address changes.
 */
const addressKeys = new WeakMap<Socket, { ip: string; key: string }>();
function addressKey(req: FastifyRequest): string {
  const known = addressKeys.get(req.raw.socket);
  if (known?.ip === req.ip) return known.key;
  const key = `ip:${normalizeIP(req.ip)}`;
  addressKeys.set(req.raw.socket, { ip: req.ip, key });
  return key;
}

export default fp(async function rateLimits(app: FastifyInstance, opts: { max: number; windowSeconds: number }) {
  // Before the limiter's own onRoute hook, which then attaches nothing to public routes.
  app.addHook('onRoute', (route) => {
    if (route.config?.access === 'public') route.config = { ...route.config, rateLimit: false };
  });
  await app.register(rateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.windowSeconds * 1000,
    keyGenerator: (req) => (req.principal ? `key:${req.principal.keyId}` : addressKey(req)),
    // Thrown by the plugin after it set Retry-After; our error handler gives it our shape.
    errorResponseBuilder: (_req, ctx) => new AppError('RATE_LIMITED', `too many requests; retry in ${ctx.after}`, ctx.statusCode),
  });
}, { name: 'rate-limits', dependencies: ['auth'] });
