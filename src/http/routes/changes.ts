import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../../core/errors.ts';
import type { StoredEvent } from '../../core/events.ts';
import type { ChangeService } from '../../services/change-service.ts';
import { encodeCursor } from '../cursor.ts';
import { EVENT_ID, VERSION_ID, policyNameParam } from '../params.ts';
import { changeQuerySchema, parseChangeQuery, type RawChangeQuery } from '../query.ts';

/** Entries per list in feed pages; GET /api/changes/:id returns the event whole. */
const LIST_MAX_ENTRIES = 100;

async function page(changes: ChangeService, rows: StoredEvent[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    // Each event carries docHistory (AWS's stated reason), loaded for the whole page at once.
    items: await changes.present(items, { maxEntries: LIST_MAX_ENTRIES }),
    nextCursor: rows.length > limit && last ? encodeCursor({ t: last.occurredAt.getTime(), id: last.id }) : null,
  };
}

export default async function changeRoutes(app: FastifyInstance) {
  app.get<{ Querystring: RawChangeQuery }>('/changes', { schema: { querystring: changeQuerySchema } }, async (req) => {
    const q = parseChangeQuery(req.query);
    return page(app.services.changes, await app.services.changes.list({ ...q, limit: q.limit + 1 }), q.limit);
  });

  app.get<{ Params: { id: string } }>('/changes/:id', async (req) => {
    if (!EVENT_ID.test(req.params.id)) throw new BadRequestError('INVALID_ID', `"${req.params.id}" is not a change id`);
    const [e] = await app.services.changes.present([await app.services.changes.get(req.params.id)]);
    return e;
  });

  app.get<{ Params: { name: string }; Querystring: RawChangeQuery }>(
    '/policies/:name/changes',
    { schema: { params: { type: 'object', properties: { name: policyNameParam }, required: ['name'] }, querystring: changeQuerySchema } },
    async (req) => {
      if (req.query.policy !== undefined) throw new BadRequestError('INVALID_FILTER', 'policy is given by the path here');
      const q = parseChangeQuery(req.query);
      return page(app.services.changes, await app.services.changes.forPolicy(req.params.name, { ...q, limit: q.limit + 1 }), q.limit);
    },
  );

  app.get<{ Params: { name: string }; Querystring: { from: string; to: string } }>(
    '/policies/:name/diff',
    {
      schema: {
        params: { type: 'object', properties: { name: policyNameParam }, required: ['name'] },
        querystring: {
          type: 'object', additionalProperties: false, required: ['from', 'to'],
          properties: { from: { type: 'string', maxLength: 16 }, to: { type: 'string', maxLength: 16 } },
        },
      },
    },
    async (req) => {
      for (const k of ['from', 'to'] as const) {
        if (!VERSION_ID.test(req.query[k])) throw new BadRequestError('INVALID_VERSION_ID', `${k} must be a policy version id like v3, got "${req.query[k]}"`);
      }
      return app.services.changes.diff(req.params.name, req.query.from, req.query.to);
    },
  );

  app.get<{ Params: { action: string }; Querystring: { limit: number } }>(
    '/actions/:action',
    {
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } } },
      },
    },
    async (req) => {
      if (!/^[a-z0-9-]{1,64}:[a-z0-9_-]{1,128}$/i.test(req.params.action)) {
        throw new BadRequestError('INVALID_ACTION', `"${req.params.action}" is not an IAM action (service:Action, no wildcards)`);
      }
      return app.services.changes.action(req.params.action, req.query.limit);
    },
  );
}
