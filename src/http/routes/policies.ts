// Policies by name, one policy with its versions, one version with its document.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { policyRouteSchemas as s } from '../schemas/policies.ts';

const policyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cache = { cache: 'data' } as const;

  app.get('/policies', { schema: s.list, config: cache }, async (req) => {
    const c = decodeCursor(req.query.cursor, { after: 'string' });
    const { items, total } = await app.services.policies.list({
      search: req.query.search,
      deprecated: req.query.deprecated === undefined ? undefined : req.query.deprecated === 'true',
      after: c?.after,
      limit: req.query.limit + 1,
    });
    const page = items.slice(0, req.query.limit);
    const last = page.at(-1);
    return { total, items: page, nextCursor: items.length > req.query.limit && last ? encodeCursor({ after: last.name }) : null };
  });

  app.get('/policies/:name', { schema: s.one, config: cache }, async (req) => app.services.policies.get(req.params.name));

  app.get('/policies/:name/versions/:versionId', { schema: s.version, config: cache }, async (req) => {
    const v = await app.services.policies.getVersion(req.params.name, req.params.versionId);
    return { policy: req.params.name, ...v };
  });
};
export default policyRoutes;
