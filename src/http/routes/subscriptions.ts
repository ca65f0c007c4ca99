// Alert subscriptions and their deliveries. State-changing routes are admin-only through the
// auth plugin's default (every non-GET route), reads by their own override; nothing here prints
// a URL or secret except the create response.
import type { FastifyInstance } from 'fastify';
import {
  CreateBody, CreatedSubscription, Delivery, DeliveryPage, DeliveryParams, PageQuery, Subscription, SubscriptionPage,
  SubscriptionParams, UpdateBody, type CreateBodyT, type PageQueryT, type UpdateBodyT,
} from '../schemas/subscriptions.ts';
import { NoQuery, errorResponses as errors } from '../schemas/common.ts';

const tags = ['alerts'];

/** A page from `limit + 1` rows: the extra row only says there is a next page, which starts after the last id shown. */
function page<T extends { id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
// Reads too are admin-only (the auth plugin's route override): even masked, subscriptions name
// internal receivers' hosts, and the delivery log tells when and how they fail.
const adminOnly = { access: 'admin' } as const;

export default async function subscriptionRoutes(app: FastifyInstance) {
  const subs = () => app.services.alerts.subscriptions;

  app.post<{ Body: CreateBodyT }>('/subscriptions', { schema: { tags, querystring: NoQuery, body: CreateBody, response: { 201: CreatedSubscription, ...errors } } }, async (req, reply) => {
    reply.status(201);
    return subs().create(req.body);
  });

  app.get<{ Querystring: PageQueryT }>('/subscriptions', { config: adminOnly, schema: { tags, querystring: PageQuery, response: { 200: SubscriptionPage, ...errors } } }, async (req) => {
    return page(await subs().list({ after: req.query.cursor, limit: req.query.limit + 1 }), req.query.limit);
  });

  app.get<{ Params: { id: string } }>('/subscriptions/:id', { config: adminOnly, schema: { tags, querystring: NoQuery, params: SubscriptionParams, response: { 200: Subscription, ...errors } } }, async (req) =>
    subs().get(req.params.id));

  app.patch<{ Params: { id: string }; Body: UpdateBodyT }>(
    '/subscriptions/:id',
    { schema: { tags, querystring: NoQuery, params: SubscriptionParams, body: UpdateBody, response: { 200: Subscription, ...errors } } },
    async (req) => subs().update(req.params.id, req.body),
  );

  app.delete<{ Params: { id: string } }>('/subscriptions/:id', { schema: { tags, querystring: NoQuery, params: SubscriptionParams, response: { 204: { type: 'null' }, ...errors } } }, async (req, reply) => {
    await subs().delete(req.params.id);
    return reply.status(204).send();
  });

  app.post<{ Params: { id: string } }>('/subscriptions/:id/test', { schema: { tags, querystring: NoQuery, params: SubscriptionParams, response: { 202: Delivery, ...errors } } }, async (req, reply) => {
    reply.status(202);
    return subs().test(req.params.id);
  });

  app.get<{ Params: { id: string }; Querystring: PageQueryT }>(
    '/subscriptions/:id/deliveries',
    { config: adminOnly, schema: { tags, params: SubscriptionParams, querystring: PageQuery, response: { 200: DeliveryPage, ...errors } } },
    async (req) => {
      return page(await subs().deliveries(req.params.id, { before: req.query.cursor, limit: req.query.limit + 1 }), req.query.limit);
    },
  );

  app.post<{ Params: { id: string } }>('/deliveries/:id/redeliver', { schema: { tags, querystring: NoQuery, params: DeliveryParams, response: { 202: Delivery, ...errors } } }, async (req, reply) => {
    reply.status(202);
    return subs().redeliver(req.params.id);
  });
}
