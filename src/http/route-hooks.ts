// Hooks attached to routes one by one (from an onRoute hook) instead of to the whole app: each
// closes over what it needs to know of its route (access level, caching mode), so nothing asks
// Fastify for the route's options per request (request.routeOptions builds a new object on
// every read), and a route that needs a hook not at all does not run it.
import type { RouteOptions } from 'fastify';

type RouteHookName = 'onRequest' | 'preParsing' | 'preHandler' | 'onSend';

/** Appends a hook to the route's own list (route hooks run after the app's, in the order added). */
export function appendRouteHook<K extends RouteHookName>(route: RouteOptions, name: K, hook: NonNullable<RouteOptions[K]>): void {
  const had = route[name];
  route[name] = [...(Array.isArray(had) ? had : had ? [had] : []), hook].flat() as RouteOptions[K];
}
