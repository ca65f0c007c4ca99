// Our own feeds of change events: GET /feeds/changes.atom (Atom 1.0) and /feeds/changes.rss
// (RSS 2.0), filterable by policy (name or glob) and service. One entry per created,
// permissions_changed or deprecated event (newest 100) with the per-action summary and AWS's
// stated reason from the documentation history.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_FEED_KINDS, type StoredEvent } from '../../core/events.ts';
import type { PresentedEvent, presentDocRef } from '../../services/change-service.ts';
import { renderAtom, renderRss2, type OutEntry, type OutFeed } from '../../feeds/render.ts';
import { parseChangeQuery } from '../query.ts';

const FEED_SIZE = 100;
/** Action names listed per section of an entry's summary. */
const LIST_CAP = 20;
/** Entries kept per diff list when unpacking (counts come from the untruncated lengths). */
const MAX_ENTRIES = LIST_CAP + 1;

type FeedEvent = PresentedEvent & { docHistory: ReturnType<typeof presentDocRef>[] };

const feedQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    policy: { type: 'string', maxLength: 128 },
    service: { type: 'string', maxLength: 64 },
  },
} as const;

interface FeedQuery {
  policy?: string;
  service?: string;
}

/** Absolute base URL of this request (protocol and Host), or localhost when Host is unusable. */
function baseUrl(req: FastifyRequest): string {
  try {
    const u = new URL(`${req.protocol}://${req.host}`);
    if (u.pathname === '/' && u.search === '' && u.username === '' && u.password === '') return u.origin;
  } catch {
    // fall through
  }
  return 'http://localhost';
}

function count(e: FeedEvent, list: 'effective.added' | 'effective.removed' | 'effective.scopeChanged' | 'deny.added' | 'deny.removed' | 'deny.scopeChanged'): number {
  const [side, name] = list.split('.') as ['effective' | 'deny', 'added' | 'removed' | 'scopeChanged'];
  return e.truncated?.[list] ?? e[side][name].length;
}

const names = (xs: { action: string }[]) => xs.map((x) => x.action).sort((a, b) => a.localeCompare(b, 'en'));

function version(e: FeedEvent): string {
  return e.toVersionId ?? e.fromVersionId ?? '';
}

/** "AmazonQFullAccess v5: +10 actions (iam:PassRole, q:CreatePlugin, …)" */
export function entryTitle(e: FeedEvent): string {
  const name = e.policy.name;
  if (e.kind === 'deprecated') return `${name} deprecated`;
  const added = count(e, 'effective.added');
  if (e.kind === 'created') return `${name} ${version(e)}: new policy (${added} action${added === 1 ? '' : 's'})`;
  const removed = count(e, 'effective.removed');
  const scoped = count(e, 'effective.scopeChanged');
  const denies = count(e, 'deny.added') + count(e, 'deny.removed') + count(e, 'deny.scopeChanged');
  const parts: string[] = [];
  const delta = [added ? `+${added}` : '', removed ? `-${removed}` : ''].filter(Boolean).join(' ');
  if (delta) parts.push(`${delta} action${added + removed === 1 ? '' : 's'}`);
  if (scoped) parts.push(`${scoped} scope change${scoped === 1 ? '' : 's'}`);
  if (denies) parts.push(`${denies} deny change${denies === 1 ? '' : 's'}`);
  if (parts.length === 0) parts.push('permissions changed');
  const sample = added ? names(e.effective.added) : removed ? names(e.effective.removed).map((n) => `-${n}`) : [];
  const total = added || removed;
  const shown = sample.slice(0, 2);
  const list = shown.length ? ` (${shown.join(', ')}${total > shown.length ? ', …' : ''})` : '';
  return `${name} ${version(e)}: ${parts.join(', ')}${list}`;
}

function section(label: string, n: number, xs: string[]): string[] {
  if (n === 0) return [];
  const shown = xs.slice(0, LIST_CAP);
  return [`${label} (${n}): ${shown.join(', ')}${n > shown.length ? `, … and ${n - shown.length} more` : ''}`];
}

/** The event's date, or for an unreliable one the interval it lies in. */
function when(e: FeedEvent): string {
  if (e.occurredAt) return e.occurredAt.toISOString();
  const w = e.occurredWithin;
  return `date unreliable: after ${w?.after?.toISOString() ?? 'its policy was created'}, before ${w?.before?.toISOString() ?? 'it was stored'}`;
}

/** Plain text: the per-action summary, flags, and AWS's stated reason. */
export function entrySummary(e: FeedEvent): string {
  const lines: string[] = [];
  const from = e.fromVersionId ? `${e.fromVersionId} → ` : '';
  lines.push(`${e.policy.name} ${e.kind === 'deprecated' ? `deprecated (last version ${e.fromVersionId ?? 'unknown'})` : `${from}${e.toVersionId ?? ''}`} — ${e.kind.replace('_', ' ')}, ${when(e)}`);
  lines.push(...section('Added', count(e, 'effective.added'), names(e.effective.added)));
  lines.push(...section('Removed', count(e, 'effective.removed'), names(e.effective.removed)));
  lines.push(...section('Scope changed', count(e, 'effective.scopeChanged'), names(e.effective.scopeChanged)));
  lines.push(...section('Deny added', count(e, 'deny.added'), names(e.deny.added)));
  lines.push(...section('Deny removed', count(e, 'deny.removed'), names(e.deny.removed)));
  lines.push(...section('Deny scope changed', count(e, 'deny.scopeChanged'), names(e.deny.scopeChanged)));
  if (e.flags.length > 0) lines.push(`Flags: ${e.flags.join(', ')}`);
  if (e.docHistory.length === 0) {
    lines.push(e.flags.includes('undocumented') ? "AWS's reason: none found in the documentation history." : "AWS's reason: no documentation-history entry linked.");
  }
  for (const d of e.docHistory) {
    const when = d.publishedAt ? d.publishedAt.toISOString().slice(0, 10) : 'undated';
    lines.push(`AWS's reason (${d.feed.title ?? d.feed.url}, ${when}): ${d.title}${d.description ? ` — ${d.description}` : ''}`);
  }
  return lines.join('\n');
}

export default async function feedRoutes(app: FastifyInstance) {
  const build = async (req: FastifyRequest<{ Querystring: FeedQuery }>, path: string): Promise<OutFeed> => {
    const q = parseChangeQuery({
      ...(req.query.policy !== undefined ? { policy: req.query.policy } : {}),
      ...(req.query.service !== undefined ? { service: req.query.service } : {}),
    });
    const rows = await app.services.changes.list({ policyLike: q.policyLike, service: q.service, kinds: DEFAULT_FEED_KINDS, limit: FEED_SIZE });
    const events = (await app.services.changes.present(rows, { maxEntries: MAX_ENTRIES })) as FeedEvent[];
    const base = baseUrl(req);
    const params = new URLSearchParams();
    if (req.query.policy !== undefined) params.set('policy', req.query.policy);
    if (req.query.service !== undefined) params.set('service', req.query.service);
    const qs = params.toString();
    const updated = rows.reduce((t, r) => Math.max(t, r.updatedAt.getTime(), r.occurredAt.getTime()), 0);
    const entries: OutEntry[] = events.map((e, i) => ({
      id: e.id,
      title: entryTitle(e),
      link: `${base}/api/changes/${encodeURIComponent(e.id)}`,
      // An unreliable date: the latest it can be (feeds need an instant), else the list position.
      updated: e.occurredAt ?? e.occurredWithin?.before ?? (rows[i] as StoredEvent).occurredAt,
      summaryText: entrySummary(e),
      categories: [e.kind, e.policy.name, ...e.flags],
    }));
    const what = [q.policyLike !== undefined ? `policy ${req.query.policy}` : '', q.service ? `service ${q.service}` : ''].filter(Boolean).join(', ');
    return {
      id: `changes${qs ? `?${qs}` : ''}`,
      title: `policywatch: AWS managed policy changes${what ? ` (${what})` : ''}`,
      selfUrl: `${base}${path}${qs ? `?${qs}` : ''}`,
      homeUrl: `${base}/api/changes${qs ? `?${qs}` : ''}`,
      updated: new Date(updated),
      entries,
    };
  };

  app.get<{ Querystring: FeedQuery }>('/feeds/changes.atom', { schema: { querystring: feedQuerySchema } }, async (req, reply) => {
    const feed = await build(req, '/feeds/changes.atom');
    return reply.type('application/atom+xml; charset=utf-8').send(renderAtom(feed));
  });

  app.get<{ Querystring: FeedQuery }>('/feeds/changes.rss', { schema: { querystring: feedQuerySchema } }, async (req, reply) => {
    const feed = await build(req, '/feeds/changes.rss');
    return reply.type('application/rss+xml; charset=utf-8').send(renderRss2(feed));
  });
}
