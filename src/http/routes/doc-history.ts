// AWS documentation history: the stored entries (GET /api/doc-history) and the feed list
// (GET/POST/DELETE /api/feeds; changes need an admin key, see plugins/auth.ts).
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../../core/errors.ts';
import { ENTRY_FLAGS, ENTRY_KINDS, type EntryFilter, type EntryKind, type StoredEntry } from '../../core/doc-history.ts';
import { cursorBigintId, cursorTime, decodeCursor, encodeCursor } from '../cursor.ts';
import { parseChangeQuery } from '../query.ts';

interface RawEntryQuery {
  policy?: string;
  feed?: number;
  kind?: string;
  flag?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

const entryQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    policy: { type: 'string', maxLength: 128 },
    feed: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
    kind: { type: 'string', maxLength: 64 },
    flag: { type: 'string', maxLength: 64 },
    since: { type: 'string', maxLength: 64 },
    until: { type: 'string', maxLength: 64 },
    cursor: { type: 'string', maxLength: 2048 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
} as const;

function parseEntryQuery(q: RawEntryQuery): EntryFilter {
  // policy (name or glob), since and until mean what they mean on /api/changes.
  const base = parseChangeQuery({
    ...(q.policy !== undefined ? { policy: q.policy } : {}),
    ...(q.since !== undefined ? { since: q.since } : {}),
    ...(q.until !== undefined ? { until: q.until } : {}),
  });
  const out: EntryFilter = { limit: q.limit, policyLike: base.policyLike, since: base.since, until: base.until, feedId: q.feed };
  if (q.kind !== undefined) {
    if (!(ENTRY_KINDS as readonly string[]).includes(q.kind)) throw new BadRequestError('INVALID_FILTER', `kind must be one of ${ENTRY_KINDS.join(', ')}`);
    out.kind = q.kind as EntryKind;
  }
  if (q.flag !== undefined) {
    if (!(ENTRY_FLAGS as readonly string[]).includes(q.flag)) throw new BadRequestError('INVALID_FILTER', `flag must be one of ${ENTRY_FLAGS.join(', ')}`);
    out.flag = q.flag;
  }
  const c = decodeCursor(q.cursor, { t: 'number', d: 'number', id: 'string' });
  if (c) {
    if (!['0', '1'].includes(c.d)) throw new BadRequestError('INVALID_CURSOR', 'cursor is malformed; use the nextCursor value of a previous page');
    out.before = { publishedAt: c.d === '1' ? cursorTime(c.t) : null, id: cursorBigintId(c.id) };
  }
  return out;
}

const FEED_ID = /^[1-9][0-9]{0,9}$/;

function feedId(raw: string): number {
  const n = Number(raw);
  if (!FEED_ID.test(raw) || n > 2_147_483_647) throw new BadRequestError('INVALID_ID', `"${raw.slice(0, 64)}" is not a feed id (a positive integer)`);
  return n;
}

export default async function docHistoryRoutes(app: FastifyInstance) {
  app.get<{ Querystring: RawEntryQuery }>('/doc-history', { schema: { querystring: entryQuerySchema } }, async (req) => {
    const f = parseEntryQuery(req.query);
    const rows: StoredEntry[] = await app.services.docHistory.listEntries({ ...f, limit: f.limit + 1 });
    const items = rows.slice(0, f.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > f.limit && last
        ? encodeCursor({ t: last.publishedAt?.getTime() ?? 0, d: last.publishedAt ? 1 : 0, id: last.id })
        : null,
    };
  });

  // Paged by id: the list is bounded by POLICYWATCH_MAX_FEEDS, but rows from before the cap may exceed it.
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/feeds',
    {
      schema: {
        querystring: {
          type: 'object', additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 100 }, cursor: { type: 'string', maxLength: 2048 } },
        },
      },
    },
    async (req) => {
      const c = decodeCursor(req.query.cursor, { after: 'number' });
      const after = c ? Number(c.after) : undefined;
      if (after !== undefined && (after < 1 || after > 2_147_483_647)) throw new BadRequestError('INVALID_CURSOR', 'cursor is malformed; use the nextCursor value of a previous page');
      const rows = await app.services.docHistory.listFeeds({ afterId: after, limit: req.query.limit + 1 });
      const items = rows.slice(0, req.query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > req.query.limit && last ? encodeCursor({ after: last.id }) : null };
    },
  );

  app.post<{ Body: { url: string; title?: string; services?: string[] } }>(
    '/feeds',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2048 },
            title: { type: 'string', maxLength: 256 },
            services: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^(\\*|[A-Za-z0-9-]{1,64})$' } },
          },
        },
      },
    },
    async (req, reply) => {
      const feed = await app.services.docHistory.addFeed(req.body);
      return reply.status(201).header('location', `/api/feeds/${feed.id}`).send(feed);
    },
  );

  app.delete<{ Params: { id: string } }>('/feeds/:id', async (req, reply) => {
    await app.services.docHistory.deleteFeed(feedId(req.params.id));
    return reply.status(204).send();
  });
}
