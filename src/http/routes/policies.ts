import type { FastifyInstance } from 'fastify';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { BadRequestError } from '../../core/errors.ts';
import { VERSION_ID, policyNameParam } from '../params.ts';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    search: { type: 'string', maxLength: 128 },
    deprecated: { type: 'string', enum: ['true', 'false'] },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', maxLength: 2048 },
  },
} as const;


export default async function policyRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { search?: string; deprecated?: 'true' | 'false'; limit: number; cursor?: string } }>(
    '/policies',
    { schema: { querystring: listQuery } },
    async (req) => {
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
    },
  );

  app.get<{ Params: { name: string } }>(
    '/policies/:name',
    { schema: { params: { type: 'object', properties: { name: policyNameParam }, required: ['name'] } } },
    async (req) => app.services.policies.get(req.params.name),
  );

  app.get<{ Params: { name: string; versionId: string } }>(
    '/policies/:name/versions/:versionId',
    {
      schema: {
        params: { type: 'object', properties: { name: policyNameParam, versionId: { type: 'string' } }, required: ['name', 'versionId'] },

      },
    },
    async (req) => {
      if (!VERSION_ID.test(req.params.versionId)) {
        throw new BadRequestError('INVALID_VERSION_ID', `"${req.params.versionId}" is not a policy version id (expected v<number>)`);
      }
      const v = await app.services.policies.getVersion(req.params.name, req.params.versionId);
      return { policy: req.params.name, ...v };
    },
  );
}
