// The app's route table, read from Fastify's own printRoutes() tree, so a test that walks every
// route covers routes added later without being edited.
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
}

export function routeTable(app: FastifyInstance): RouteEntry[] {
  const out: RouteEntry[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // "│   ├── /:name (GET, HEAD)": 4 characters of tree per level, then the path fragment.
    const m = /^([│├└─ ]*?)(\/\S*)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    stack.push(m[2] as string);
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push({ method, url: stack.join('') });
  }
  return out;
}

/** A concrete URL for a route pattern: every parameter filled with a harmless value. */
export function concreteUrl(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*$/, 'x');
}
