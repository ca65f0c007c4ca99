// Parsing of the change-feed query parameters, shared by the JSON API and our Atom/RSS feeds.
// Every rejection names the parameter and what was wrong with it.
import { BadRequestError } from '../core/errors.ts';
import { EVENT_KINDS, type EventKind } from '../core/events.ts';
import { EVENT_DOC_FLAGS } from '../core/doc-history.ts';
import type { ChangeQuery } from '../services/change-service.ts';
import { cursorTime, decodeCursor, inDateRange } from './cursor.ts';
import { EVENT_ID } from './params.ts';

export const ACCESS_LEVELS = ['List', 'Read', 'Write', 'Tagging', 'Permissions management', 'unknown'] as const;
export const FLAGS = [
  'permissions-management', 'privilege-escalation', 'unknown-action', 'first-seen-action', 'first-seen-service', ...EVENT_DOC_FLAGS,
] as const;

export interface RawChangeQuery {
  policy?: string;
  service?: string;
  action?: string;
  accessLevel?: string;
  flag?: string;
  kind?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export const changeQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    policy: { type: 'string', maxLength: 128 },
    service: { type: 'string', maxLength: 64 },
    action: { type: 'string', maxLength: 256 },
    accessLevel: { type: 'string', maxLength: 64 },
    flag: { type: 'string', maxLength: 64 },
    kind: { type: 'string', maxLength: 256 },
    since: { type: 'string', maxLength: 64 },
    until: { type: 'string', maxLength: 64 },
    cursor: { type: 'string', maxLength: 2048 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
} as const;

/** Glob (`*`, `?`) to a LIKE pattern with `\` as the escape character. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

function parseDate(name: string, raw: string): Date {
  // A date (YYYY-MM-DD, UTC midnight) or a full ISO 8601 timestamp with a zone; 2024-02-30 is
  // rejected rather than rolled over into March.
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const full = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw);
  const d = new Date(dateOnly ? `${raw}T00:00:00Z` : raw);
  if ((!dateOnly && !full) || !inDateRange(d) || (dateOnly && d.toISOString().slice(0, 10) !== raw)) {
    throw new BadRequestError('INVALID_DATE', `${name} must be a date (YYYY-MM-DD) or an ISO 8601 timestamp with a zone, between 1970 and 9999, got "${raw}"`);
  }
  return d;
}

export function parseChangeQuery(q: RawChangeQuery): ChangeQuery {
  const out: ChangeQuery = { limit: q.limit ?? 50 };
  if (q.policy !== undefined) {
    if (!/^[\w+=,.@*?-]{1,128}$/.test(q.policy)) throw new BadRequestError('INVALID_FILTER', 'policy must be a policy name or a glob of [A-Za-z0-9+=,.@_-*?]');
    // Without * or ? the LIKE pattern matches the name exactly (the rest is escaped).
    out.policyLike = globToLike(q.policy);
  }
  if (q.service !== undefined) {
    if (!/^[a-z0-9-]{1,64}$/i.test(q.service)) throw new BadRequestError('INVALID_FILTER', `service must be an IAM service prefix like "s3", got "${q.service}"`);
    out.service = q.service.toLowerCase();
  }
  if (q.action !== undefined) {
    if (!/^[a-z0-9-]{1,64}:[a-z0-9_-]{1,128}$/i.test(q.action)) throw new BadRequestError('INVALID_FILTER', `action must look like "service:Action", got "${q.action}"`);
    out.actionKey = q.action.toLowerCase();
  }
  if (q.accessLevel !== undefined) {
    const hit = ACCESS_LEVELS.find((l) => l.toLowerCase() === q.accessLevel?.toLowerCase());
    if (!hit) throw new BadRequestError('INVALID_FILTER', `accessLevel must be one of ${ACCESS_LEVELS.join(', ')}`);
    out.accessLevel = hit;
  }
  if (q.flag !== undefined) {
    if (!(FLAGS as readonly string[]).includes(q.flag)) throw new BadRequestError('INVALID_FILTER', `flag must be one of ${FLAGS.join(', ')}`);
    out.flag = q.flag;
  }
  if (q.kind !== undefined) {
    if (q.kind === 'all') out.kinds = 'all';
    else {
      const kinds = q.kind.split(',').map((k) => k.trim());
      const bad = kinds.find((k) => !(EVENT_KINDS as readonly string[]).includes(k));
      if (bad !== undefined) throw new BadRequestError('INVALID_FILTER', `kind must be "all" or a comma-separated list of ${EVENT_KINDS.join(', ')}; got "${bad}"`);
      out.kinds = kinds as EventKind[];
    }
  }
  if (q.since !== undefined) out.since = parseDate('since', q.since);
  if (q.until !== undefined) out.until = parseDate('until', q.until);
  if (out.since && out.until && out.since > out.until) throw new BadRequestError('INVALID_FILTER', 'since must not be after until');
  const c = decodeCursor(q.cursor, { t: 'number', id: 'string' });
  if (c) {
    if (!EVENT_ID.test(c.id)) throw new BadRequestError('INVALID_CURSOR', 'cursor is malformed; use the nextCursor value of a previous page');
    out.before = { occurredAt: cursorTime(c.t), id: c.id };
  }
  return out;
}
