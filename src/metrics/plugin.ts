// GET /metrics (Prometheus text format) and the HTTP duration hook. Hidden from the OpenAPI
// document: it is for Prometheus, not for API clients.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics } from './metrics.ts';
import { hidden } from '../http/hidden.ts';

export default fp(async function metrics(app: FastifyInstance) {
  const m = createMetrics({ stats: app.services.stats, log: app.log.child({ component: 'metrics' }) });
  // By route pattern (/api/policies/:name), never the raw URL: label values stay few.
  // A callback hook: it runs on every response, and an async one costs a promise each time.
  app.addHook('onResponse', (req, reply, done) => {
    m.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? '(unmatched)', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: hidden() }, async (_req, reply) => {
    reply.type(m.register.contentType);
    return m.scrape();
  });
}, { name: 'metrics', dependencies: ['services'] });
