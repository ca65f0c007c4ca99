// Authentication and authorization for every route: `Authorization: Bearer <key>`.
// A route needs `admin` when its method changes state (anything but GET/HEAD), `read` otherwise,
// unless it states `config: { access: 'admin' | 'read' | 'public' }`. Reads are open unless
// POLICYWATCH_REQUIRE_API_KEY=on; `public` routes (health, readiness) are always open.
//
// Two steps, so the rate limiter (an onRequest hook of each route) can count requests per key:
// onRequest identifies the caller, preParsing (after every onRequest hook, before the body is
// read) refuses callers the route does not admit.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROUTE_ACCESS_LEVELS, roleAllows, type Access, type Principal } from '../core/api-keys.ts';
import { AppError } from '../core/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The caller's key, once identified; null when none (or an invalid one) was sent. */
    principal: Principal | null;
    /** Why the credentials sent were refused (kept for preParsing). */
    credentialProblem: string | null;
  }
}

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * The access a request's route needs. No route matched: public, so a mistyped path is a 404
 * naming it (the route list is in the README, there is nothing to hide) and never runs anything.
 */
export function routeAccess(req: FastifyRequest): Access {
  if (req.is404) return 'public';
  return req.routeOptions.config?.access ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'admin');
}

function refuse(reply: FastifyReply, status: 401 | 403, code: string, message: string, challenge: string): never {
  // RFC 6750 §3: the challenge says which scheme to use and, when a token was sent, what was wrong.
  reply.header('www-authenticate', challenge);
  throw new AppError(code, message, status);
}

export default fp(async function auth(app: FastifyInstance, opts: { requireApiKey: boolean }) {
  app.decorateRequest('principal', null);
  app.decorateRequest('credentialProblem', null);

  // A typo in a route's access level must fail at start-up, not open or close a route.
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: unknown } | undefined)?.access;
    if (access !== undefined && !(ROUTE_ACCESS_LEVELS as readonly unknown[]).includes(access)) {
      throw new Error(`route ${String(route.method)} ${route.url}: config.access must be one of ${ROUTE_ACCESS_LEVELS.join(', ')}, got ${String(access)}`);
    }
  });

  app.addHook('onRequest', async (req) => {
    if (routeAccess(req) === 'public') return;
    const header = req.headers.authorization;
    if (header === undefined) return;
    const m = BEARER.exec(header);
    if (!m) {
      req.credentialProblem = 'the Authorization header must be "Bearer <key>"';
      return;
    }
    const principal = await app.services.apiKeys.authenticate(m[1] as string);
    if (principal) req.principal = principal;
    else req.credentialProblem = 'the API key is not valid (unknown or revoked)';
  });

  app.addHook('preParsing', async (req, reply, payload) => {
    const access = routeAccess(req);
    if (access === 'public') return payload;
    const what = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    if (req.credentialProblem) refuse(reply, 401, 'INVALID_API_KEY', req.credentialProblem, 'Bearer realm="policywatch", error="invalid_token"');
    if (!req.principal) {
      if (access === 'read' && !opts.requireApiKey) return payload;
      refuse(reply, 401, 'UNAUTHORIZED', `${what} needs an API key${access === 'admin' ? ' with role admin' : ''}: send "Authorization: Bearer <key>"`, 'Bearer realm="policywatch"');
    }
    if (!roleAllows(req.principal.role, access)) {
      refuse(reply, 403, 'FORBIDDEN', `${what} needs an API key with role ${access}; this key has role ${req.principal.role}`, 'Bearer realm="policywatch", error="insufficient_scope"');
    }
    return payload;
  });
}, { name: 'auth', dependencies: ['services'] });
