// AWS documentation history: stored entries and the RSS feeds (inputs) they come from.
import { Type, type Static } from '@sinclair/typebox';
import { ENTRY_FLAGS, ENTRY_KINDS } from '../../core/doc-history.ts';
import { Cursor, DateFilter, DateTime, Limit, NextCursor, NoQuery, Nullable, NullableDateTime, PolicyGlob, StringEnum, errorResponses, getResponses } from './common.ts';

export const EntryQuery = Type.Object({
  policy: Type.Optional(PolicyGlob),
  feed: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'feed id' })),
  kind: Type.Optional(StringEnum(ENTRY_KINDS, { 'x-error-code': 'INVALID_FILTER' })),
  flag: Type.Optional(StringEnum(ENTRY_FLAGS, { 'x-error-code': 'INVALID_FILTER' })),
  since: Type.Optional(DateFilter),
  until: Type.Optional(DateFilter),
  cursor: Type.Optional(Cursor),
  limit: Limit(200, 50),
}, { additionalProperties: false });
export type EntryQuery = Static<typeof EntryQuery>;

export const Entry = Type.Object({
  id: Type.String(),
  feed: Type.Object({ id: Type.Integer(), title: Nullable(Type.String()), url: Type.String() }),
  guid: Type.String(),
  title: Type.String(),
  description: Type.String({ description: 'plain text, never HTML' }),
  link: Nullable(Type.String()),
  publishedAt: NullableDateTime,
  rawPubDate: Type.String(),
  dateProblem: Nullable(Type.String()),
  kind: Type.String(),
  statedDirection: Type.String(),
  flags: Type.Array(Type.String()),
  firstSeenAt: DateTime,
  policies: Type.Array(Type.Object({ name: Type.String(), resolved: Type.Boolean() })),
  events: Type.Array(Type.Object({
    id: Type.String(), policy: Type.String(), kind: Type.String(), fromVersionId: Nullable(Type.String()), toVersionId: Nullable(Type.String()), occurredAt: DateTime,
  })),
});
export const EntryPage = Type.Object({ items: Type.Array(Entry), nextCursor: NextCursor });
export type EntryPage = Static<typeof EntryPage>;

export const Feed = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  title: Nullable(Type.String()),
  services: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  origin: Type.String(),
  etag: Nullable(Type.String()),
  lastModified: Nullable(Type.String()),
  lastPolledAt: NullableDateTime,
  lastStatus: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
  createdAt: DateTime,
  entryCount: Type.Integer(),
});
export type Feed = Static<typeof Feed>;
export const FeedList = Type.Object({ items: Type.Array(Feed), nextCursor: NextCursor });
export const FeedListQuery = Type.Object({ limit: Limit(200, 100), cursor: Type.Optional(Cursor) }, { additionalProperties: false });
export const NewFeedBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  title: Type.Optional(Type.String({ maxLength: 256 })),
  services: Type.Optional(Type.Array(Type.String({ pattern: '^(\\*|[A-Za-z0-9-]{1,64})$', description: 'an IAM service prefix or *' }), { maxItems: 64 })),
}, { additionalProperties: false });
export type NewFeedBody = Static<typeof NewFeedBody>;
export const FeedIdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$', 'x-error-code': 'INVALID_ID', description: 'a feed id (a positive integer)' }) });

export const docHistoryRouteSchemas = {
  entries: { tags: ['documentation history'], summary: "AWS's documentation-history entries", querystring: EntryQuery, response: getResponses(EntryPage) },
  feeds: { tags: ['documentation history'], summary: 'The documentation-history RSS feeds polled, paged by id', querystring: FeedListQuery, response: getResponses(FeedList) },
  addFeed: { tags: ['documentation history'], summary: 'Add a documentation-history RSS feed', querystring: NoQuery, body: NewFeedBody, response: { 201: Feed, ...errorResponses } },
  deleteFeed: { tags: ['documentation history'], summary: 'Remove a documentation-history RSS feed', params: FeedIdParams, querystring: NoQuery, response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses } },
};
