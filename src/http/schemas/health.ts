// Request and response schemas of /healthz and /readyz (TypeBox). Nothing is accepted but the
// path: both routes refuse a query string they do not know.
import { Type, type Static } from '@sinclair/typebox';
import { NoQuery, Nullable, NullableDateTime, errorResponses } from './common.ts';

export const Liveness = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

export const SourceCheck = Type.Object({
  state: Type.String({ description: 'ok, pending, stale, disabled, or "failing since <ISO time>"' }),
  reason: Type.Union(['ok', 'pending', 'failing', 'stale', 'switched-off', 'no-credentials'].map((r) => Type.Literal(r))),
  enabled: Type.Boolean(),
  ready: Type.Boolean(),
  lastRunAt: NullableDateTime,
  lastStatus: Nullable(Type.String()),
  lastSuccessAt: NullableDateTime,
  ageSeconds: Type.Union([Type.Integer(), Type.Null()]),
  maxAgeSeconds: Type.Integer(),
}, { additionalProperties: false });

export const SeedProgress = Type.Object({
  phase: Type.Union([Type.Literal('versions'), Type.Literal('events')]),
  policiesDone: Type.Integer(),
  policiesTotal: Type.Union([Type.Integer(), Type.Null()]),
  versionsDone: Type.Integer(),
  elapsedSeconds: Type.Number(),
  rate: Type.Number({ description: 'policies per second in this phase' }),
  etaSeconds: Type.Union([Type.Integer(), Type.Null()]),
}, { additionalProperties: false });

export const ReadinessChecks = Type.Object({
  database: Type.Object({ state: Type.Union([Type.Literal('ok'), Type.Literal('timeout'), Type.Literal('unreachable')]) }, { additionalProperties: false }),
  migrations: Type.Optional(Type.Object({
    state: Type.Union([Type.Literal('ok'), Type.Literal('pending')]),
    pending: Type.Array(Type.String()),
  }, { additionalProperties: false })),
  seed: Type.Object({
    state: Type.Union([Type.Literal('off'), Type.Literal('seeding'), Type.Literal('done'), Type.Literal('failed')]),
    progress: Type.Optional(SeedProgress),
  }, { additionalProperties: false }),
  sources: Type.Optional(Type.Object({ iam: SourceCheck, rss: SourceCheck }, { additionalProperties: false })),
}, { additionalProperties: false });

/** Same body for 200 and 503; `status` names the first thing that keeps the service unready. */
export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready'), Type.Literal('seeding'), Type.Literal('migrating')]),
  checks: ReadinessChecks,
}, { additionalProperties: false });

export type ReadinessBody = Static<typeof Readiness>;

export const healthRouteSchemas = {
  healthz: { tags: ['operations'], summary: 'Liveness: the process answers', querystring: NoQuery, response: { 200: Liveness, ...errorResponses } },
  readyz: {
    tags: ['operations'], summary: 'Readiness: database, migrations, first-start seed and each poll source, answered within 2 s',
    querystring: NoQuery, response: { 200: Readiness, 503: Readiness, ...errorResponses },
  },
};
