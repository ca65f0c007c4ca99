// Change events: the list (summaries, or whole with ?detail=full), one event, a policy's events,
// the on-demand diff and the reverse index by action.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StoredEvent } from '../../core/events.ts';
import type { ChangeService } from '../../services/change-service.ts';
import { encodeCursor } from '../cursor.ts';
import { eventCursor, parseChangeQuery, type RawChangeQuery } from '../query.ts';
import { changeRoutesSchemas as s } from '../schemas/changes.ts';

/** Entries per list in ?detail=full pages; GET /api/changes/:id returns the event whole. */
const LIST_MAX_ENTRIES = 100;

const cursorOf = (e: { occurredAt: Date; id: string }) => encodeCursor({ t: e.occurredAt.getTime(), id: e.id });

async function page(changes: ChangeService, rows: StoredEvent[], limit: number, detail: 'summary' | 'full' | undefined) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    // Each event carries docHistory (AWS's stated reason), loaded for the whole page at once.
    items: await changes.presentList(items, detail === 'full' ? { detail: 'full', maxEntries: LIST_MAX_ENTRIES } : { detail: 'summary' }),
    nextCursor: rows.length > limit && last ? cursorOf(last) : null,
  };
}

const changeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cache = { cache: 'data' } as const;

  app.get('/changes', { schema: s.list, config: cache }, async (req) => {
    const q = parseChangeQuery(req.query as RawChangeQuery);
    return page(app.services.changes, await app.services.changes.list({ ...q, limit: q.limit + 1 }), q.limit, req.query.detail);
  });

  app.get('/changes/:id', { schema: s.one, config: cache }, async (req) => {
    const [e] = await app.services.changes.present([await app.services.changes.get(req.params.id)]);
    return e as NonNullable<typeof e>;
  });

  app.get('/policies/:name/changes', { schema: s.forPolicy, config: cache }, async (req) => {
    const q = parseChangeQuery(req.query as RawChangeQuery);
    return page(app.services.changes, await app.services.changes.forPolicy(req.params.name, { ...q, limit: q.limit + 1 }), q.limit, req.query.detail);
  });

  app.get('/policies/:name/diff', { schema: s.diff, config: cache }, async (req) => app.services.changes.diff(req.params.name, req.query.from, req.query.to));

  app.get('/actions/:action', { schema: s.action, config: cache }, async (req) => {
    const r = await app.services.changes.action(req.params.action, { limit: req.query.limit, before: eventCursor(req.query.cursor) });
    const { next, ...rest } = r;
    return { ...rest, truncated: next !== undefined, nextCursor: next ? cursorOf(next) : null };
  });
};
export default changeRoutes;

