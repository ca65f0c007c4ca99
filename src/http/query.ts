// Parsing of the change-list query parameters, shared by the JSON API and our Atom/RSS output,
// after the schema (schemas/changes.ts) has checked each one's shape. What a schema cannot say
// (a date that does not exist, since after until, a comma list of kinds, a cursor's content) is
// checked here; every rejection names the parameter and what was wrong with it.
import { BadRequestError } from '../core/errors.ts';
import { EVENT_KINDS, type ActionChangeKind, type EventKind } from '../core/events.ts';
import type { ChangeQuery } from '../services/change-service.ts';
import { cursorError, cursorTime, decodeCursor, inDateRange } from './cursor.ts';
import { ACCESS_LEVELS, ACTION_PATTERN, EVENT_FLAGS, EVENT_ID_PATTERN, POLICY_GLOB_PATTERN, SERVICE_PATTERN } from './schemas/common.ts';
import type { CHANGE_EFFECTS } from './schemas/changes.ts';

export interface RawChangeQuery {
  policy?: string | undefined;
  service?: string | undefined;
  action?: string | undefined;
  effect?: (typeof CHANGE_EFFECTS)[number] | undefined;
  accessLevel?: string | undefined;
  flag?: string | undefined;
  kind?: string | undefined;
  dates?: 'all' | 'reliable' | undefined;
  since?: string | undefined;
  until?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** effect= on the change list → the per-action changes it selects (allow side). */
const EFFECT_CHANGES: Record<NonNullable<RawChangeQuery['effect']>, ActionChangeKind[]> = {
  added: ['added'],
  removed: ['removed'],
  scope: ['scope_changed'],
};

// The schemas' patterns, checked again here for callers without a schema (our Atom/RSS output
// passes only some parameters, /api/doc-history shares policy/since/until).
const POLICY_GLOB = new RegExp(POLICY_GLOB_PATTERN);
const SERVICE = new RegExp(SERVICE_PATTERN);
const ACTION = new RegExp(ACTION_PATTERN);
const EVENT_ID = new RegExp(EVENT_ID_PATTERN);

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
    throw new BadRequestError('INVALID_DATE', `\`${name}\` must be a date (YYYY-MM-DD) or an ISO 8601 timestamp with a zone, between 1970 and 9999, got "${raw}"`, { parameter: name });
  }
  return d;
}

const filterError = (parameter: string, message: string) => new BadRequestError('INVALID_FILTER', message, { parameter });

export function parseChangeQuery(q: RawChangeQuery): ChangeQuery {
  const out: ChangeQuery = { limit: q.limit ?? 50 };
  if (q.policy !== undefined) {
    if (!POLICY_GLOB.test(q.policy)) throw filterError('policy', '`policy` must be a policy name or a glob of [A-Za-z0-9+=,.@_-*?]');
    // Without * or ? the LIKE pattern matches the name exactly (the rest is escaped).
    out.policyLike = globToLike(q.policy);
  }
  if (q.service !== undefined) {
    if (!SERVICE.test(q.service)) throw filterError('service', `\`service\` must be an IAM service prefix like "s3", got "${q.service}"`);
    out.service = q.service.toLowerCase();
  }
  if (q.action !== undefined) {
    if (!ACTION.test(q.action)) throw filterError('action', `\`action\` must look like "service:Action", got "${q.action}"`);
    out.actionKey = q.action.toLowerCase();
  }
  if (q.effect !== undefined) out.changes = EFFECT_CHANGES[q.effect];
  if (q.accessLevel !== undefined) {
    const hit = ACCESS_LEVELS.find((l) => l.toLowerCase() === q.accessLevel?.toLowerCase());
    if (!hit) throw filterError('accessLevel', `\`accessLevel\` must be one of ${ACCESS_LEVELS.join(', ')}`);
    out.accessLevel = hit;
  }
  if (q.flag !== undefined) {
    if (!(EVENT_FLAGS as readonly string[]).includes(q.flag)) throw filterError('flag', `\`flag\` must be one of ${EVENT_FLAGS.join(', ')}`);
    out.flag = q.flag;
  }
  if (q.kind !== undefined) {
    if (q.kind === 'all') out.kinds = 'all';
    else {
      const kinds = q.kind.split(',').map((k) => k.trim());
      const bad = kinds.find((k) => !(EVENT_KINDS as readonly string[]).includes(k));
      if (bad !== undefined) throw filterError('kind', `\`kind\` must be "all" or a comma-separated list of ${EVENT_KINDS.join(', ')}; got "${bad}"`);
      out.kinds = kinds as EventKind[];
    }
  }
  if (q.dates === 'reliable') out.reliableDatesOnly = true;
  if (q.since !== undefined) out.since = parseDate('since', q.since);
  if (q.until !== undefined) out.until = parseDate('until', q.until);
  if (out.since && out.until && out.since > out.until) throw filterError('since', '`since` must not be after `until`');
  const before = eventCursor(q.cursor);
  if (before) out.before = before;
  return out;
}

/** The keyset cursor of event lists (newest first): the last event's time and id. */
export function eventCursor(raw: string | undefined): { occurredAt: Date; id: string } | undefined {
  const c = decodeCursor(raw, { t: 'number', id: 'string' });
  if (!c) return undefined;
  if (!EVENT_ID.test(c.id)) throw cursorError();
  return { occurredAt: cursorTime(c.t), id: c.id };
}
