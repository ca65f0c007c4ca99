// Liveness and readiness.
import { Type } from '@sinclair/typebox';
import { NoQuery, errorResponses } from './common.ts';

export const Health = Type.Object({ status: Type.String() });
export const Readiness = Type.Object({
  status: Type.String({ description: 'ready or not_ready' }),
  checks: Type.Object({}, { additionalProperties: true, description: 'one entry per check' }),
});

export const healthRouteSchemas = {
  healthz: { tags: ['operations'], summary: 'Liveness', querystring: NoQuery, response: { 200: Health, ...errorResponses } },
  readyz: { tags: ['operations'], summary: 'Readiness', querystring: NoQuery, response: { 200: Readiness, 503: Readiness, ...errorResponses } },
};
