// Change events: the change list (GET /api/changes, /api/policies/:name/changes), one event, the
// on-demand diff and the reverse index by action.
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_KINDS } from '../../core/events.ts';
import {
  ACCESS_LEVELS, ACTION_PATTERN, ActionName, Cursor, EventId, DateFilter, DateTime, EVENT_FLAGS, Grant, Limit, NextCursor, Nullable, NullableDateTime,
  NoQuery, PolicyGlob, PolicyName, ServicePrefix, StringEnum, VersionId, getResponses,
} from './common.ts';

export const CHANGE_EFFECTS = ['added', 'removed', 'scope'] as const;

/** Filters of the change list; `kind` is a comma-separated list, checked by the route. */
const changeFilters = {
  policy: Type.Optional(PolicyGlob),
  service: Type.Optional(ServicePrefix),
  action: Type.Optional(Type.String({ pattern: ACTION_PATTERN, 'x-error-code': 'INVALID_FILTER', description: 'an IAM action like service:Action, without wildcards' })),
  effect: Type.Optional(StringEnum(CHANGE_EFFECTS, { 'x-error-code': 'INVALID_FILTER', description: 'only events whose per-action change (of `action`, `service` or `accessLevel` when given) is of this effect' })),
  accessLevel: Type.Optional(Type.String({ maxLength: 64, 'x-error-code': 'INVALID_FILTER', description: `one of ${ACCESS_LEVELS.join(', ')} (any case)` })),
  flag: Type.Optional(StringEnum(EVENT_FLAGS, { 'x-error-code': 'INVALID_FILTER' })),
  kind: Type.Optional(Type.String({ maxLength: 256, 'x-error-code': 'INVALID_FILTER', description: `"all" or a comma-separated list of ${EVENT_KINDS.join(', ')}; default created,permissions_changed,deprecated` })),
  dates: Type.Optional(StringEnum(['all', 'reliable'] as const, { 'x-error-code': 'INVALID_FILTER', description: '"reliable" leaves out events whose date is not known (backfilled without a create date)' })),
  since: Type.Optional(DateFilter),
  until: Type.Optional(DateFilter),
  cursor: Type.Optional(Cursor),
  limit: Limit(200, 50),
  detail: Type.Optional(StringEnum(['summary', 'full'] as const, { description: '"full": every list entry carries its actions with their grants (up to 100 per list)' })),
};
export const ChangeQuery = Type.Object(changeFilters, { additionalProperties: false });
export type ChangeQuery = Static<typeof ChangeQuery>;
/** On a policy's own change list the policy is the path's. */
const { policy: _policy, ...policyChangeFilters } = changeFilters;
export const PolicyChangeQuery = Type.Object(policyChangeFilters, { additionalProperties: false });

// Access levels and scope directions are open sets in stored events (a newer catalog may add one).
const AccessLevel = Type.String({ description: ACCESS_LEVELS.join(', ') });
const ActionEntry = Type.Object({
  action: Type.String(), service: Type.String(), accessLevel: AccessLevel, flags: Type.Array(Type.String()),
  via: Type.Array(Type.String(), { description: 'patterns of the document that cover the action, as written' }),
  grants: Type.Array(Grant, { description: 'where the action applies: resources and conditions of each granting statement' }),
});
const ScopeEntry = Type.Object({
  action: Type.String(), service: Type.String(), accessLevel: AccessLevel, flags: Type.Array(Type.String()),
  before: Type.Array(Grant), after: Type.Array(Grant), direction: Type.Optional(Type.String({ description: 'broadened, narrowed or unknown' })),
});
const Side = Type.Object({ added: Type.Array(ActionEntry), removed: Type.Array(ActionEntry), scopeChanged: Type.Array(ScopeEntry) });
const diffBody = {
  effective: Side,
  deny: Side,
  literal: Type.Object({ added: Type.Array(Type.String()), removed: Type.Array(Type.String()) }),
  problems: Type.Optional(Type.Array(Type.String())),
};
const Truncated = Type.Record(Type.String(), Type.Integer(), { description: 'lists cut to their first entries: list name → full length' });

export const DocRef = Type.Object({
  id: Type.String(),
  feed: Type.Object({ id: Type.Integer(), title: Nullable(Type.String()), url: Type.String() }),
  title: Type.String(),
  description: Type.String({ description: 'plain text, never HTML' }),
  link: Nullable(Type.String()),
  publishedAt: NullableDateTime,
  kind: Type.String(),
  statedDirection: Type.String(),
}, { description: "an entry of AWS's documentation history: AWS's stated reason" });

const eventBase = {
  id: Type.String(),
  policy: Type.Object({ name: Type.String(), arn: Type.String() }),
  kind: StringEnum(EVENT_KINDS),
  fromVersionId: Nullable(Type.String()),
  toVersionId: Nullable(Type.String()),
  occurredAt: Type.Union([DateTime, Type.Null()], { description: 'when AWS made the change; null when the date is not known, see occurredWithin' }),
  occurredAtUnreliable: Type.Boolean(),
  occurredWithin: Type.Union([
    Type.Object({ after: NullableDateTime, before: NullableDateTime }),
    Type.Null(),
  ], { description: 'for an event whose date is not known: the interval it must lie in (after the previous reliably dated version, before the next)' }),
  detectedAt: DateTime,
  source: Type.String(),
  broadened: Type.Boolean(),
  narrowed: Type.Boolean(),
  flags: Type.Array(Type.String()),
  catalogVersion: Nullable(Type.String()),
  docHistory: Type.Array(DocRef),
};

const ListSummary = Type.Object({
  count: Type.Integer(),
  byService: Type.Record(Type.String(), Type.Integer()),
  byAccessLevel: Type.Record(Type.String(), Type.Integer()),
  first: Type.Array(Type.String(), { description: 'the first few actions of the list, by name' }),
});
/** Only the lists that have actions: a list left out has none. */
const sideSummary = (description: string) => Type.Optional(Type.Object({
  added: Type.Optional(ListSummary), removed: Type.Optional(ListSummary), scopeChanged: Type.Optional(ListSummary),
}, { description: `${description}; only the lists that have actions (a list left out has none)` }));
export const ChangeSummaryBody = Type.Object({
  effective: sideSummary('allowed actions; left out when none changed'),
  deny: sideSummary('denied actions; left out when none changed'),
  literal: Type.Object({ added: Type.Integer(), removed: Type.Integer() }),
  problems: Type.Optional(Type.Array(Type.String())),
});

/** One event whole (GET /api/changes/:id). */
export const ChangeDetail = Type.Object({ ...eventBase, ...diffBody, truncated: Type.Optional(Truncated) });
export type ChangeDetail = Static<typeof ChangeDetail>;

/** A list entry: the summary, or with ?detail=full the lists themselves (cut at 100 entries). */
const listItem = {
  ...eventBase,
  summary: Type.Optional(ChangeSummaryBody),
  effective: Type.Optional(Side), deny: Type.Optional(Side), literal: Type.Optional(diffBody.literal), problems: diffBody.problems,
  truncated: Type.Optional(Truncated),
};
export const ChangeListItem = Type.Object(listItem);
export type ChangeListItem = Static<typeof ChangeListItem>;
export const ChangePage = Type.Object({ items: Type.Array(ChangeListItem), nextCursor: NextCursor });
export type ChangePage = Static<typeof ChangePage>;

export const PolicyNameParams = Type.Object({ name: PolicyName });
export const ChangeIdParams = Type.Object({ id: EventId });

export const DiffQuery = Type.Object({ from: VersionId, to: VersionId }, { additionalProperties: false });
const VersionRef = Type.Object({ versionId: Type.String(), awsCreatedAt: NullableDateTime, documentHash: Type.String() });
export const DiffResponse = Type.Object({
  policy: Type.String(),
  from: VersionRef,
  to: VersionRef,
  kind: StringEnum(['metadata_only', 'cosmetic', 'permissions_changed'] as const),
  broadened: Type.Boolean(),
  narrowed: Type.Boolean(),
  catalogVersion: Type.String(),
  ...diffBody,
});
export type DiffResponse = Static<typeof DiffResponse>;

export const ActionParams = Type.Object({ action: ActionName });
export const ActionQuery = Type.Object({ limit: Limit(500, 100), cursor: Type.Optional(Cursor) }, { additionalProperties: false });
export const ActionGrant = Type.Object({
  policy: Type.String(), arn: Type.String(), versionId: Type.String(),
  via: Type.Array(Type.String()),
  literal: Type.Boolean({ description: 'the action is named as such (not only through a wildcard or NotAction)' }),
  grants: Type.Array(Grant, { description: 'resources and conditions of each statement that grants the action' }),
});
export const ActionResponse = Type.Object({
  action: Type.String(),
  known: Type.Boolean({ description: 'the action is in the IAM action catalog' }),
  service: Type.String(),
  accessLevel: Type.String(),
  catalogVersion: Type.String(),
  grantedBy: Type.Array(ActionGrant, { description: 'every current (non-deprecated) policy version that allows the action' }),
  events: Type.Array(Type.Object({ change: Type.String({ description: 'added, removed, deny_added or deny_removed' }), ...listItem })),
  truncated: Type.Boolean({ description: 'true when more events follow (see nextCursor)' }),
  nextCursor: NextCursor,
});
export type ActionResponse = Static<typeof ActionResponse>;

export const changeRoutesSchemas = {
  list: { tags: ['changes'], summary: 'Change events, newest first', querystring: ChangeQuery, response: getResponses(ChangePage) },
  one: { tags: ['changes'], summary: 'One change event, whole', params: ChangeIdParams, querystring: NoQuery, response: getResponses(ChangeDetail) },
  forPolicy: { tags: ['changes'], summary: "A policy's change events", params: PolicyNameParams, querystring: PolicyChangeQuery, response: getResponses(ChangePage) },
  diff: { tags: ['policies'], summary: 'Semantic diff of two stored versions, computed on demand', params: PolicyNameParams, querystring: DiffQuery, response: getResponses(DiffResponse) },
  action: { tags: ['actions'], summary: 'Which policies grant an action now, and the events that added or removed it', params: ActionParams, querystring: ActionQuery, response: getResponses(ActionResponse) },
};
