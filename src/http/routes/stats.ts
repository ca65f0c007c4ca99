// Statistics over what policywatch stores: detection latency per observer.
import type { FastifyInstance } from 'fastify';
import { statsRouteSchemas as s } from '../schemas/stats.ts';

export default async function statsRoutes(app: FastifyInstance) {
  app.get('/stats/detection', { schema: s.detection }, async () => app.services.policies.detectionStats());
}
