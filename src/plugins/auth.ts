// Authentication and authorization for every route: `Authorization: Bearer <key>`.
// A route needs `admin` when its method changes state (anything but GET/HEAD), `read` otherwise,
// unless it states `config: { access: 'admin' | 'read' | 'public' }`. Reads are open unless
// POLICYWATCH_REQUIRE_API_KEY=on; `public` routes (health, readiness) are always open.
//
// Two steps, so the rate limiter (an onRequest hook of each route) can count requests per key:
// onRequest identifies the caller, preParsing (after every onRequest hook, before the body is
// read) refuses callers the route does not admit. Both are hooks of each route that needs them
// (http/route-hooks.ts), added as the route is declared and knowing its access level: public
// routes and unmatched paths (a 404 naming the path; the route list is in the README, there is
// nothing to hide) run neither.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { ROUTE_ACCESS_LEVELS, roleAllows, type Access, type Principal } from '../core/api-keys.ts';
import { AppError } from '../core/errors.ts';
import { appendRouteHook } from '../http/route-hooks.ts';

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

/** The access a route needs: its stated level, else read for GET and HEAD, admin for the rest. */
function routeAccess(config: { access?: Access } | undefined, method: string): Access {
  return config?.access ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'admin');
}

function refuse(reply: FastifyReply, status: 401 | 403, code: string, message: string, challenge: string): never {
  // RFC 6750 §3: the challenge says which scheme to use and, when a token was sent, what was wrong.
  reply.header('www-authenticate', challenge);
  throw new AppError(code, message, status);
}

export default fp(async function auth(app: FastifyInstance, opts: { requireApiKey: boolean }) {
  app.decorateRequest('principal', null);
  app.decorateRequest('credentialProblem', null);

  // Callback hooks: a request without credentials (most reads) passes both without waiting, and
  // an async hook costs a promise and a turn of the microtask queue on every request.
  const identify = (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    const header = req.headers.authorization;
    if (header === undefined) return done();
    const m = BEARER.exec(header);
    if (!m) {
      req.credentialProblem = 'the Authorization header must be "Bearer <key>"';
      return done();
    }
    app.services.apiKeys.authenticate(m[1] as string).then((principal) => {
      if (principal) req.principal = principal;
      else req.credentialProblem = 'the API key is not valid (unknown or revoked)';
      done();
    }, done);
  };

  const admit = (url: string, config: { access?: Access } | undefined) => (req: FastifyRequest, reply: FastifyReply, payload: RequestPayload, done: (err: Error | null, payload?: RequestPayload) => void) => {
    const access = routeAccess(config, req.method);
    if (access === 'public') return done(null, payload); // never attached to public routes; narrows the type
    if (req.credentialProblem) refuse(reply, 401, 'INVALID_API_KEY', req.credentialProblem, 'Bearer realm="policywatch", error="invalid_token"');
    if (!req.principal) {
      if (access === 'read' && !opts.requireApiKey) return done(null, payload);
      refuse(reply, 401, 'UNAUTHORIZED', `${req.method} ${url} needs an API key${access === 'admin' ? ' with role admin' : ''}: send "Authorization: Bearer <key>"`, 'Bearer realm="policywatch"');
    }
    if (!roleAllows(req.principal.role, access)) {
      refuse(reply, 403, 'FORBIDDEN', `${req.method} ${url} needs an API key with role ${access}; this key has role ${req.principal.role}`, 'Bearer realm="policywatch", error="insufficient_scope"');
    }
    return done(null, payload);
  };

  app.addHook('onRoute', (route) => {
    // A typo in a route's access level must fail at start-up, not open or close a route.
    const config = route.config as { access?: unknown } | undefined;
    if (config?.access !== undefined && !(ROUTE_ACCESS_LEVELS as readonly unknown[]).includes(config.access)) {
      throw new Error(`route ${String(route.method)} ${route.url}: config.access must be one of ${ROUTE_ACCESS_LEVELS.join(', ')}, got ${String(config.access)}`);
    }
    if (config?.access === 'public') return;
    appendRouteHook(route, 'onRequest', identify);
    appendRouteHook(route, 'preParsing', admit(route.url, route.config));
  });
}, { name: 'auth', dependencies: ['services'] });
