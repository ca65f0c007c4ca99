// AWS documentation history: the stored entries (GET /api/doc-history) and the feed list
// (GET/POST/DELETE /api/feeds; changes need an admin key, see plugins/auth.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BadRequestError } from '../../core/errors.ts';
import type { EntryFilter, EntryKind, StoredEntry } from '../../core/doc-history.ts';
import { cursorBigintId, cursorError, cursorTime, decodeCursor, encodeCursor } from '../cursor.ts';
import { parseChangeQuery } from '../query.ts';
import { docHistoryRouteSchemas as s, type EntryQuery } from '../schemas/doc-history.ts';

function parseEntryQuery(q: EntryQuery): EntryFilter {
  // policy (name or glob), since and until mean what they mean on /api/changes.
  const base = parseChangeQuery({ policy: q.policy, since: q.since, until: q.until });
  const out: EntryFilter = { limit: q.limit, policyLike: base.policyLike, since: base.since, until: base.until, feedId: q.feed };
  if (q.kind !== undefined) out.kind = q.kind as EntryKind;
  if (q.flag !== undefined) out.flag = q.flag;
  const c = decodeCursor(q.cursor, { t: 'number', d: 'number', id: 'string' });
  if (c) {
    if (!['0', '1'].includes(c.d)) throw cursorError();
    out.before = { publishedAt: c.d === '1' ? cursorTime(c.t) : null, id: cursorBigintId(c.id) };
  }
  return out;
}

function feedId(raw: string): number {
  const n = Number(raw);
  if (n > 2_147_483_647) throw new BadRequestError('INVALID_ID', `"${raw}" is not a feed id (a positive integer up to 2147483647)`, { parameter: 'id' });
  return n;
}

const docHistoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cache = { cache: 'data' } as const;

  app.get('/doc-history', { schema: s.entries, config: cache }, async (req) => {
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
  app.get('/feeds', { schema: s.feeds, config: cache }, async (req) => {
    const c = decodeCursor(req.query.cursor, { after: 'number' });
    const after = c ? Number(c.after) : undefined;
    if (after !== undefined && (after < 1 || after > 2_147_483_647)) throw new BadRequestError('INVALID_CURSOR', 'cursor is malformed; use the nextCursor value of a previous page');
    const rows = await app.services.docHistory.listFeeds({ afterId: after, limit: req.query.limit + 1 });
    const items = rows.slice(0, req.query.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > req.query.limit && last ? encodeCursor({ after: last.id }) : null };
  });

  app.post('/feeds', { schema: s.addFeed }, async (req, reply) => {
    const feed = await app.services.docHistory.addFeed(req.body);
    return reply.status(201).header('location', `/api/feeds/${feed.id}`).send(feed);
  });

  app.delete('/feeds/:id', { schema: s.deleteFeed }, async (req, reply) => {
    await app.services.docHistory.deleteFeed(feedId(req.params.id));
    return reply.status(204).send(null);
  });
};
export default docHistoryRoutes;
