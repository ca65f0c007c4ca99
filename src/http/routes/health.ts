import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { healthRouteSchemas as s } from '../schemas/health.ts';

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const live = { cache: 'none', access: 'public' } as const;
  app.get('/healthz', { schema: s.healthz, config: live }, async () => ({ status: 'ok' }));

  // Ready = the database answers and, when a poll age limit is set and polling has ever run,
  // the last successful IAM poll is recent enough.
  app.get('/readyz', { schema: s.readyz, config: live }, async (_req, reply) => {
    const checks: Record<string, unknown> = {};
    let ok = true;
    try {
      await app.db.ping();
      checks.database = 'ok';
    } catch (err) {
      ok = false;
      checks.database = `unreachable: ${(err as Error).message}`;
    }
    if (ok) {
      const last = await app.services.stores.pollRuns.lastFinished('iam', ['succeeded', 'partial']);
      const ageSeconds = last?.finishedAt ? Math.round((Date.now() - last.finishedAt.getTime()) / 1000) : null;
      const max = app.services.config.readyMaxPollAgeSeconds;
      checks.lastPoll = { finishedAt: last?.finishedAt ?? null, ageSeconds, maxAgeSeconds: max };
      if (max > 0 && ageSeconds !== null && ageSeconds > max) ok = false;
    }
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });
};
export default healthRoutes;
