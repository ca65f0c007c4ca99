// Routes that are not part of the JSON API (the dashboard's pages, /metrics) are left out of the
// OpenAPI document with `hide: true`; the key is @fastify/swagger's, unknown to Fastify's types.
import type { FastifySchema } from 'fastify';

export function hidden(schema: FastifySchema = {}): FastifySchema {
  return { ...schema, hide: true } as FastifySchema;
}
