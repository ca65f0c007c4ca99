// The dashboard's pages, rendered on the server from the same services as the JSON API. Every
// view is a GET with its state in the URL (deep links for alerts); nothing runs in the browser.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BadRequestError } from '../core/errors.ts';
import { DEFAULT_FEED_KINDS, EVENT_KINDS } from '../core/events.ts';
import { encodeCursor } from '../http/cursor.ts';
import { hidden } from '../http/hidden.ts';
import { ACCESS_LEVELS, ACTION_PATTERN, EVENT_FLAGS as FLAGS, EVENT_ID_PATTERN, POLICY_NAME_PATTERN, VERSION_ID_PATTERN } from '../http/schemas/common.ts';
import { parseChangeQuery, type RawChangeQuery } from '../http/query.ts';
import { presentDocRef, type PresentedEvent } from '../services/change-service.ts';
import type { DocRef } from '../core/doc-history.ts';
import { chartView } from './chart.ts';
import { badges, diffView, grantLines } from './diff-view.ts';

// The JSON API's own patterns: a page accepts exactly what the API behind it accepts.
const EVENT_ID = new RegExp(EVENT_ID_PATTERN);
const VERSION_ID = new RegExp(VERSION_ID_PATTERN);
const POLICY_NAME = new RegExp(POLICY_NAME_PATTERN);
const ACTION = new RegExp(ACTION_PATTERN);
const CHART_WEEKS = 52;
const FILTER_KEYS = ['policy', 'service', 'action', 'accessLevel', 'flag', 'kind', 'since', 'until'] as const;

// A bare string query: the pages validate with the API's own parser, so a bad value gets the
// API's message, shown on the page.
const stringQuery = (keys: readonly string[]) => ({
  type: 'object', additionalProperties: false,
  properties: Object.fromEntries(keys.map((k) => [k, { type: 'string', maxLength: 2048 }])),
});

/** Drops empty form fields: an untouched <select> or <input> sends `name=`. */
function filled(q: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

const counts = (e: { truncated?: Record<string, number> }) => {
  const t = e.truncated ?? {};
  return {
    added: t['effective.added'] ?? 0, removed: t['effective.removed'] ?? 0, rescoped: t['effective.scopeChanged'] ?? 0,
    deny: (t['deny.added'] ?? 0) + (t['deny.removed'] ?? 0) + (t['deny.scopeChanged'] ?? 0),
  };
};

const safeLink = (url: string | null) => (url && /^https?:\/\//i.test(url) ? url : null);
/** AWS's entries as shown: a link only when it is http(s) (never javascript: or data:). */
const docRefs = (refs: ReturnType<typeof presentDocRef>[]) => refs.map((d) => ({ ...d, link: safeLink(d.link) }));

function view(reply: FastifyReply, page: string, data: Record<string, unknown>) {
  return reply.type('text/html; charset=utf-8').view(page, data);
}

export default async function dashboardRoutes(app: FastifyInstance) {
  const { changes, policies, stats, docHistory } = app.services;

  app.get<{ Querystring: Record<string, string | undefined> }>('/', { schema: hidden({ querystring: stringQuery([...FILTER_KEYS, 'cursor', 'limit']) }) }, async (req, reply) => {
    const raw = filled(req.query);
    if (raw.limit !== undefined && !/^\d{1,3}$/.test(raw.limit)) throw new BadRequestError('INVALID_FILTER', 'limit must be a number from 1 to 200');
    const limit = raw.limit === undefined ? 50 : Number(raw.limit);
    if (limit < 1 || limit > 200) throw new BadRequestError('INVALID_FILTER', 'limit must be a number from 1 to 200');
    const q = parseChangeQuery({ ...raw, limit } as RawChangeQuery);
    const kinds = q.kinds === 'all' ? undefined : (q.kinds ?? DEFAULT_FEED_KINDS);
    const [rows, series] = await Promise.all([
      changes.list({ ...q, limit: limit + 1 }),
      stats.weekly({ policyLike: q.policyLike, service: q.service, actionKey: q.actionKey, accessLevel: q.accessLevel, flag: q.flag, kinds, since: q.since, until: q.until }, CHART_WEEKS),
    ]);
    const items = rows.slice(0, limit);
    const presented = await changes.present(items, { maxEntries: 0 });
    const last = items.at(-1);
    const filters = Object.fromEntries(FILTER_KEYS.flatMap((k) => (raw[k] === undefined ? [] : [[k, raw[k]]])));
    const next = rows.length > limit && last
      ? `/?${new URLSearchParams({ ...filters, ...(raw.limit ? { limit: raw.limit } : {}), cursor: encodeCursor({ t: last.occurredAt.getTime(), id: last.id }) })}`
      : null;
    return view(reply, 'changes', {
      title: 'Recent changes', nav: 'changes', filters, next, chart: chartView(series),
      options: { kinds: EVENT_KINDS, accessLevels: ACCESS_LEVELS, flags: FLAGS },
      items: presented.map((e) => ({ ...e, counts: counts(e), badges: badges(e) })),
    });
  });

  app.get<{ Params: { id: string } }>('/changes/:id', { schema: hidden() }, async (req, reply) => {
    if (!EVENT_ID.test(req.params.id)) throw new BadRequestError('INVALID_ID', `"${req.params.id}" is not a change id`);
    const [ev] = await changes.present([await changes.get(req.params.id)]);
    if (!ev) throw new Error('present() returned no event');
    return view(reply, 'change', {
      title: `${ev.policy.name} ${ev.fromVersionId ?? ''}→${ev.toVersionId ?? ''}`, nav: 'changes',
      e: ev, badges: badges(ev), diff: diffView(ev), docs: docRefs(ev.docHistory),
    });
  });

  app.get<{ Params: { name: string }; Querystring: { from?: string; to?: string } }>(
    '/policies/:name',
    { schema: hidden({ querystring: stringQuery(['from', 'to']) }) },
    async (req, reply) => {
      const name = req.params.name;
      if (!POLICY_NAME.test(name)) throw new BadRequestError('INVALID_POLICY', `"${name}" is not an IAM policy name`);
      const p = await policies.get(name);
      const versions = [...p.versions].sort((a, b) => b.versionNumber - a.versionNumber);
      const events = await stats.policyEvents(name);
      const kindOf = new Map(events.filter((e) => e.toVersionId).map((e) => [e.toVersionId as string, e]));
      // Default comparison: the version before the default one, against the default.
      const current = versions.find((v) => v.isDefault) ?? versions[0];
      const previous = current ? versions.find((v) => v.versionNumber < current.versionNumber) : undefined;
      const from = req.query.from || previous?.versionId;
      const to = req.query.to || current?.versionId;
      for (const [k, v] of [['from', from], ['to', to]] as const) {
        if (v !== undefined && !VERSION_ID.test(v)) throw new BadRequestError('INVALID_VERSION_ID', `${k} must be a policy version id like v3, got "${v}"`);
      }
      let compare = null;
      if (from && to) {
        const [diff, a, b] = await Promise.all([changes.diff(name, from, to), policies.getVersion(name, from), policies.getVersion(name, to)]);
        // AWS's stated reasons: the documentation entries joined to the events between the two versions.
        const lo = Math.min(a.versionNumber, b.versionNumber);
        const hi = Math.max(a.versionNumber, b.versionNumber);
        const between = events.filter((e) => e.toVersionNumber !== null && e.toVersionNumber > lo && e.toVersionNumber <= hi);
        const refs = between.length > 0 ? await docHistory.docRefsForEvents(between.map((e) => e.id)) : new Map<string, DocRef[]>();
        const reasons = between.flatMap((e) => docRefs((refs.get(e.id) ?? []).map(presentDocRef)).map((d) => ({ ...d, versionId: e.toVersionId })));
        compare = {
          from: a, to: b, diff: diffView(diff), kind: diff.kind, badges: badges({ ...diff, flags: [] }),
          reasons, fromJson: JSON.stringify(a.document, null, 2), toJson: JSON.stringify(b.document, null, 2),
        };
      }
      return view(reply, 'policy', {
        title: name, nav: 'policies', p, compare, fromId: from, toId: to,
        timeline: versions.map((v) => ({ ...v, event: kindOf.get(v.versionId) ?? null })),
      });
    },
  );

  // The action search box lands here; the page itself has a path of its own.
  app.get<{ Querystring: { action?: string } }>('/actions', { schema: hidden({ querystring: stringQuery(['action']) }) }, async (req, reply) => {
    const a = (req.query.action ?? '').trim();
    if (!ACTION.test(a)) throw new BadRequestError('INVALID_ACTION', `"${a}" is not an IAM action (service:Action, no wildcards)`);
    return reply.redirect(`/actions/${encodeURIComponent(a)}`, 303);
  });

  app.get<{ Params: { action: string } }>('/actions/:action', { schema: hidden() }, async (req, reply) => {
    if (!ACTION.test(req.params.action)) throw new BadRequestError('INVALID_ACTION', `"${req.params.action}" is not an IAM action (service:Action, no wildcards)`);
    const r = await changes.action(req.params.action, { limit: 500 });
    // Since when: the newest event that added the action to that policy.
    const since = new Map<string, (typeof r.events)[number]>();
    for (const e of r.events) if (e.change === 'added' && e.policy && !since.has(e.policy.name)) since.set(e.policy.name, e);
    return view(reply, 'action', {
      title: r.action, nav: 'actions', r,
      grantedBy: r.grantedBy.map((g) => ({ ...g, grantLines: grantLines(g.grants).length > 0 ? grantLines(g.grants) : ['Resource *'], since: since.get(g.policy) ?? null })),
      events: r.events.map((e) => ({ ...e, badges: badges(e as PresentedEvent) })),
    });
  });

  app.get('/policies', { schema: hidden() }, async (_req, reply) => {
    const { newest, deprecated } = await stats.lifecycle(100);
    return view(reply, 'lifecycle', { title: 'New and deprecated policies', nav: 'lifecycle', newest, deprecated });
  });

  app.get('/status', { schema: hidden() }, async (_req, reply) => {
    const [h, feeds] = await Promise.all([stats.health(30), docHistory.listFeeds({ limit: 200 })]);
    const lastBySource = new Map<string, (typeof h.runs)[number]>();
    for (const r of h.runs) if (!lastBySource.has(r.source)) lastBySource.set(r.source, r);
    return view(reply, 'status', {
      title: 'Poll and feed health', nav: 'status', runs: h.runs, totals: h.totals, detections: h.detections,
      last: [...lastBySource.values()], feeds: feeds.map((f) => ({ ...f, url: safeLink(f.url) ?? f.url })),
    });
  });
}
