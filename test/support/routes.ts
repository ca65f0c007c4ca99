// The app's route table, collected by an onRoute hook as the app builds it (test/support/app.ts
// registers it), so a test that walks every route covers routes added later without being edited.
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  /** The route's declared access level (config.access), if it overrides the method default. */
  access?: string | undefined;
}

const tables = new WeakMap<object, RouteEntry[]>();

/** Starts recording the routes of an instance; call before the app registers its routes. */
export function recordRoutes(app: FastifyInstance): void {
  const out: RouteEntry[] = [];
  tables.set(app, out);
  app.addHook('onRoute', (r: RouteOptions) => {
    const access = (r.config as { access?: string } | undefined)?.access;
    for (const method of [r.method].flat()) out.push({ method: String(method).toUpperCase(), url: r.url, access });
  });
}

export function routeTable(app: FastifyInstance): RouteEntry[] {
  const t = tables.get(app);
  if (!t) throw new Error('routeTable: the app was not built with recordRoutes (use build() from test/support/app.ts)');
  // Fastify registers "/x" and "/x/" alike for prefixed index routes; one of each is enough.
  const seen = new Set<string>();
  return t.filter((r) => {
    const k = `${r.method} ${r.url}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A concrete URL for a route pattern: every parameter filled with a harmless value. */
export function concreteUrl(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*$/, 'x');
}
