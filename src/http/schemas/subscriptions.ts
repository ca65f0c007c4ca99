// Request and response schemas of the alert routes (TypeBox): what a client may send and exactly
// what it gets back. Secrets appear in one schema only, the create response.
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_KINDS } from '../../core/events.ts';
import { SUBSCRIPTION_KINDS, SUBSCRIPTION_MODES } from '../../core/alerts.ts';
import { ACCESS_LEVELS, DateTime, EVENT_FLAGS as FLAGS, Nullable, NextCursor, NullableDateTime, POLICY_GLOB_PATTERN, SERVICE_PATTERN } from './common.ts';

const literals = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));

const list = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Array(item, { maxItems: 100, uniqueItems: true });

export const Filters = Type.Object({
  policies: Type.Optional(list(Type.String({ pattern: POLICY_GLOB_PATTERN, description: 'policy name or glob (* and ?)' }))),
  services: Type.Optional(list(Type.String({ pattern: SERVICE_PATTERN, description: 'IAM service prefix, e.g. "s3"' }))),
  accessLevels: Type.Optional(list(literals(ACCESS_LEVELS))),
  flags: Type.Optional(list(literals(FLAGS))),
  kinds: Type.Optional(list(literals(EVENT_KINDS))),
}, { additionalProperties: false });

const StoredFilters = Type.Object({
  policies: Type.Array(Type.String()), services: Type.Array(Type.String()), accessLevels: Type.Array(Type.String()),
  flags: Type.Array(Type.String()), kinds: Type.Array(Type.String()),
});

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https (http only for private targets the setting admits)' });

export const CreateBody = Type.Object({
  name: Name,
  kind: literals(SUBSCRIPTION_KINDS),
  url: Url,
  filters: Type.Optional(Filters),
  mode: Type.Optional(literals(SUBSCRIPTION_MODES)),
}, { additionalProperties: false });

export const UpdateBody = Type.Object({
  name: Type.Optional(Name),
  url: Type.Optional(Url),
  filters: Type.Optional(Filters),
  mode: Type.Optional(literals(SUBSCRIPTION_MODES)),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 });

export const SubscriptionParams = Type.Object({ id: Type.String({ pattern: '^sub_[0-9a-f]{24}$' }) }, { additionalProperties: false });
export const DeliveryParams = Type.Object({ id: Type.String({ pattern: '^msg_[0-9a-z]{30}$' }) }, { additionalProperties: false });

export const Subscription = Type.Object({
  id: Type.String(), name: Type.String(), kind: literals(SUBSCRIPTION_KINDS),
  url: Type.String({ description: 'masked: scheme and host only' }),
  filters: StoredFilters, mode: literals(SUBSCRIPTION_MODES), enabled: Type.Boolean(), disabledReason: Nullable(Type.String()),
  hasSecret: Type.Boolean(), createdAt: DateTime, updatedAt: DateTime,
});

/** Only the create response: the URL in full and, for webhooks, the signing secret (shown once). */
export const CreatedSubscription = Type.Intersect([
  Type.Omit(Subscription, ['url']),
  Type.Object({ url: Type.String(), secret: Type.Optional(Type.String({ pattern: '^whsec_' })) }),
]);

export const Delivery = Type.Object({
  id: Type.String({ description: 'also the webhook-id header' }), subscriptionId: Type.String(),
  kind: Type.Union([Type.Literal('event'), Type.Literal('digest'), Type.Literal('test')]),
  eventIds: Type.Array(Type.String()), periodStart: NullableDateTime,
  status: Type.Union(['collecting', 'pending', 'retrying', 'delivered', 'dead'].map((s) => Type.Literal(s))),
  attempts: Type.Integer(), lastError: Nullable(Type.String()), lastAttemptAt: NullableDateTime, nextAttemptAt: NullableDateTime,
  deliveredAt: NullableDateTime, createdAt: DateTime,
});

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ pattern: '^(sub|msg)_[0-9a-z]{24,30}$', description: 'the last id of the previous page' })),
}, { additionalProperties: false });

export const SubscriptionPage = Type.Object({ items: Type.Array(Subscription), nextCursor: NextCursor });
export const DeliveryPage = Type.Object({ items: Type.Array(Delivery), nextCursor: NextCursor });

export type CreateBodyT = Static<typeof CreateBody>;
export type UpdateBodyT = Static<typeof UpdateBody>;
export type PageQueryT = Static<typeof PageQuery>;
export type SubscriptionT = Static<typeof Subscription>;
export type CreatedSubscriptionT = Static<typeof CreatedSubscription>;
export type DeliveryT = Static<typeof Delivery>;
