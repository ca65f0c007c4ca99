// Shared pieces of the HTTP contract (TypeBox → JSON Schema). Fastify validates requests and
// serializes responses from these, @fastify/swagger documents them. Each shape that several routes
// use (identifiers, the cursor, limits, the error body, flag lists) is written here once.
//
// `x-error-code` on a parameter's schema is the error code a request gets when that parameter
// breaks its rule (src/plugins/errors.ts reads it); without one the code is INVALID_REQUEST.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EVENT_DOC_FLAGS } from '../../core/doc-history.ts';

/** IAM policy names: 1–128 of [A-Za-z0-9+=,.@_-]. */
export const POLICY_NAME_PATTERN = '^[\\w+=,.@-]{1,128}$';
export const PolicyName = Type.String({ minLength: 1, maxLength: 128, pattern: POLICY_NAME_PATTERN, description: 'an IAM policy name: 1–128 of [A-Za-z0-9+=,.@_-]', examples: ['AmazonQFullAccess'] });
/** Policy version ids as IAM writes them: v1, v2, … */
export const VERSION_ID_PATTERN = '^v[1-9][0-9]{0,8}$';
export const VersionId = Type.String({ pattern: VERSION_ID_PATTERN, maxLength: 10, 'x-error-code': 'INVALID_VERSION_ID', description: 'a policy version id like v3', examples: ['v5'] });
export const EVENT_ID_PATTERN = '^evt_[0-9a-f]{32}$';
export const EventId = Type.String({ pattern: EVENT_ID_PATTERN, maxLength: 64, 'x-error-code': 'INVALID_ID', description: 'a change id (evt_ and 32 hex digits)' });
/** An IAM action, service:Action, without wildcards (case-insensitive). */
export const ACTION_PATTERN = '^[A-Za-z0-9-]{1,64}:[A-Za-z0-9_-]{1,128}$';
export const ActionName = Type.String({ pattern: ACTION_PATTERN, 'x-error-code': 'INVALID_ACTION', description: 'an IAM action like service:Action, without wildcards', examples: ['iam:PassRole'] });
/** An IAM service prefix like "s3". */
export const SERVICE_PATTERN = '^[A-Za-z0-9-]{1,64}$';
export const ServicePrefix = Type.String({ pattern: SERVICE_PATTERN, 'x-error-code': 'INVALID_FILTER', description: 'an IAM service prefix like s3', examples: ['s3'] });
/** A policy name, or a glob of one (`*`, `?`). */
export const POLICY_GLOB_PATTERN = '^[\\w+=,.@*?-]{1,128}$';
export const PolicyGlob = Type.String({ pattern: POLICY_GLOB_PATTERN, 'x-error-code': 'INVALID_FILTER', description: 'a policy name or a glob of [A-Za-z0-9+=,.@_-*?]', examples: ['AmazonQ*'] });
/** Dates in filters: YYYY-MM-DD (UTC) or an ISO 8601 timestamp with a zone; checked further by the route. */
export const DateFilter = Type.String({ maxLength: 64, 'x-error-code': 'INVALID_DATE', description: 'YYYY-MM-DD or ISO 8601 timestamp with a zone, 1970..9999' });

/** Opaque keyset cursor (base64url); the nextCursor of a previous page. */
export const Cursor = Type.String({ pattern: '^[A-Za-z0-9_-]{1,2048}$', 'x-error-code': 'INVALID_CURSOR', description: 'the nextCursor of a previous page' });
export const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page; null on the last page' });

/** Page size: 1..max, with a default. */
export const Limit = (max: number, dflt: number) => Type.Integer({ minimum: 1, maximum: max, default: dflt, description: `page size, 1..${max}` });

export const ACCESS_LEVELS = ['List', 'Read', 'Write', 'Tagging', 'Permissions management', 'unknown'] as const;
export const ACTION_FLAGS = ['permissions-management', 'privilege-escalation', 'unknown-action', 'first-seen-action', 'first-seen-service'] as const;
/** Flags of an event: the diff's action flags and the documentation-join flags. */
export const EVENT_FLAGS = [...ACTION_FLAGS, ...EVENT_DOC_FLAGS] as const;

/** An enum of strings (OpenAPI renders it as one list). */
export const StringEnum = <T extends readonly string[]>(values: T, opts: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });

/** A string, integer or boolean that may be null (one JSON Schema type list, which fast-json-stringify serializes fast). */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type as string, 'null'] });
}

/** Instants serialize as ISO 8601 strings (Date objects in, strings out). */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableDateTime = Type.Unsafe<Date | string | null>({ type: ['string', 'null'], format: 'date-time' });

/** Every error: { error: { code, message, details? } }. */
export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'stable, machine-readable' }),
    message: Type.String({ description: 'names the parameter or thing at fault and the rule' }),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  }),
}, { title: 'Error' });
export type ErrorBody = Static<typeof ErrorResponse>;

/** Error responses every route can give (validation, not found, rate limits, database down …). */
export const errorResponses = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;

/** A conditional GET that matched the ETag: no body. */
export const NotModified = Type.Null({ description: 'Not modified: the If-None-Match ETag is current' });

/** Responses of a GET route answering `schema` as JSON. */
export const getResponses = <T extends TSchema>(schema: T) => ({ 200: schema, 304: NotModified, ...errorResponses });

/** A querystring with no parameters (anything given is an unknown parameter, so a 400). */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** Grant: where one statement lets an action apply (src/diff/types.ts Grant). */
export const Grant = Type.Object({
  resources: Type.Optional(Type.Array(Type.String())),
  notResources: Type.Optional(Type.Array(Type.String())),
  conditions: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Array(Type.String())))),
});
