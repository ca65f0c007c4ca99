// Syndication of change events (our own Atom/RSS output, not the RSS inputs in sources/rss): GET /feeds/changes.atom (Atom 1.0) and /feeds/changes.rss
// (RSS 2.0), filterable by policy (name or glob) and service. One entry per created,
// permissions_changed or deprecated event (newest 100) with the per-action summary and AWS's
// stated reason from the documentation history.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { DEFAULT_FEED_KINDS, type StoredEvent } from '../../core/events.ts';
import type { PresentedEvent, presentDocRef } from '../../services/change-service.ts';
import { renderAtom, renderRss2, type SyndicationEntry, type SyndicationFeed } from '../../syndication/render.ts';
import { parseChangeQuery } from '../query.ts';
import { publicBaseUrl } from '../../config/public-url.ts';
import type { SyndicationQuery as SyndicationQueryType } from '../schemas/syndication.ts';
import { syndicationRouteSchemas as s } from '../schemas/syndication.ts';

const SYNDICATION_SIZE = 100;
/** Action names listed per section of an entry's summary. */
const LIST_CAP = 20;
/** Entries kept per diff list when unpacking (counts come from the untruncated lengths). */
const MAX_ENTRIES = LIST_CAP + 1;

type SyndicatedEvent = PresentedEvent & { docHistory: ReturnType<typeof presentDocRef>[] };

type SyndicationQuery = Static<typeof SyndicationQueryType>;

/** Links come from configuration, never from the request (see publicBaseUrl). */
function baseUrl(app: FastifyInstance): string {
  const bound = app.server.address();
  return publicBaseUrl(app.services.config, bound && typeof bound === 'object' ? bound : null);
}

function count(e: SyndicatedEvent, list: 'effective.added' | 'effective.removed' | 'effective.scopeChanged' | 'deny.added' | 'deny.removed' | 'deny.scopeChanged'): number {
  const [side, name] = list.split('.') as ['effective' | 'deny', 'added' | 'removed' | 'scopeChanged'];
  return e.truncated?.[list] ?? e[side][name].length;
}

const names = (xs: { action: string }[]) => xs.map((x) => x.action).sort((a, b) => a.localeCompare(b, 'en'));

function version(e: SyndicatedEvent): string {
  return e.toVersionId ?? e.fromVersionId ?? '';
}

/** "AmazonQFullAccess v5: +10 actions (iam:PassRole, q:CreatePlugin, …)" */
export function entryTitle(e: SyndicatedEvent): string {
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
function when(e: SyndicatedEvent): string {
  if (e.occurredAt) return e.occurredAt.toISOString();
  const w = e.occurredWithin;
  return `date unreliable: after ${w?.after?.toISOString() ?? 'its policy was created'}, before ${w?.before?.toISOString() ?? 'it was stored'}`;
}

/** Plain text: the per-action summary, flags, and AWS's stated reason. */
export function entrySummary(e: SyndicatedEvent): string {
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

export default async function syndicationRoutes(app: FastifyInstance) {
  const build = async (req: FastifyRequest<{ Querystring: SyndicationQuery }>, path: string): Promise<SyndicationFeed> => {
    const q = parseChangeQuery({
      ...(req.query.policy !== undefined ? { policy: req.query.policy } : {}),
      ...(req.query.service !== undefined ? { service: req.query.service } : {}),
    });
    const rows = await app.services.changes.list({ policyLike: q.policyLike, service: q.service, kinds: DEFAULT_FEED_KINDS, limit: SYNDICATION_SIZE });
    const events = (await app.services.changes.present(rows, { maxEntries: MAX_ENTRIES })) as SyndicatedEvent[];
    const base = baseUrl(app);
    const params = new URLSearchParams();
    if (req.query.policy !== undefined) params.set('policy', req.query.policy);
    if (req.query.service !== undefined) params.set('service', req.query.service);
    const qs = params.toString();
    const updated = rows.reduce((t, r) => Math.max(t, r.updatedAt.getTime(), r.occurredAt.getTime()), 0);
    const entries: SyndicationEntry[] = events.map((e, i) => ({
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

  app.get<{ Querystring: SyndicationQuery }>('/feeds/changes.atom', { schema: s.atom, config: { cache: 'revalidate' } }, async (req, reply) => {
    const feed = await build(req, '/feeds/changes.atom');
    return reply.type('application/atom+xml; charset=utf-8').send(renderAtom(feed));
  });

  app.get<{ Querystring: SyndicationQuery }>('/feeds/changes.rss', { schema: s.rss, config: { cache: 'revalidate' } }, async (req, reply) => {
    const feed = await build(req, '/feeds/changes.rss');
    return reply.type('application/rss+xml; charset=utf-8').send(renderRss2(feed));
  });
}
