// Poll history and the manual poll.
import { Type, type Static } from '@sinclair/typebox';
import { Cursor, DateTime, Limit, NextCursor, NoQuery, NullableDateTime, StringEnum, errorResponses, getResponses } from './common.ts';

export const PollRun = Type.Object({
  id: Type.String(),
  source: Type.String(),
  startedAt: DateTime,
  finishedAt: NullableDateTime,
  status: Type.String({ description: 'running, succeeded, partial, failed, skipped, abandoned, interrupted, lost-lock' }),
  apiCalls: Type.Integer(),
  policiesSeen: Type.Integer(),
  policiesChanged: Type.Integer(),
  versionsAdded: Type.Integer(),
  datesCorrected: Type.Optional(Type.Integer({ description: 'stored create dates a stronger source replaced' })),
  errors: Type.Array(Type.Object({
    policy: Type.Optional(Type.String()), versionId: Type.Optional(Type.String()), feed: Type.Optional(Type.String()),
    code: Type.String(), message: Type.String(),
  })),
});
export type PollRun = Static<typeof PollRun>;
export const PollRunPage = Type.Object({ items: Type.Array(PollRun), nextCursor: NextCursor });

export const PollRunQuery = Type.Object({
  source: Type.Optional(StringEnum(['iam', 'rss', 'seed', 'iamtrail'] as const)),
  limit: Limit(200, 20),
  cursor: Type.Optional(Cursor),
}, { additionalProperties: false });
export const PollRunParams = Type.Object({ id: Type.String({ maxLength: 32 }) });
export const StartPollQuery = Type.Object({ source: Type.Optional(StringEnum(['iam'] as const)) }, { additionalProperties: false });

export const pollRunRouteSchemas = {
  list: { tags: ['poll runs'], summary: 'Poll history, newest first', querystring: PollRunQuery, response: getResponses(PollRunPage) },
  one: { tags: ['poll runs'], summary: 'One poll run', params: PollRunParams, querystring: NoQuery, response: getResponses(PollRun) },
  start: {
    tags: ['poll runs'], summary: 'Start an IAM poll now', querystring: StartPollQuery,
    response: { 202: PollRun, ...errorResponses },
  },
};
