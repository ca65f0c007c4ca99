// The application as a Fastify plugin (fastify/demo style): server.ts only runs the process,
// tests build this against a real database and use app.inject.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config/env.ts';
import type { Database } from './db/database.ts';
import type { IamSource } from './core/iam.ts';
import type { Resolver } from './sources/outbound/index.ts';
import errors from './plugins/errors.ts';
import database from './plugins/database.ts';
import services from './plugins/services.ts';
import healthRoutes from './http/routes/health.ts';
import policyRoutes from './http/routes/policies.ts';
import pollRunRoutes from './http/routes/poll-runs.ts';
import changeRoutes from './http/routes/changes.ts';
import docHistoryRoutes from './http/routes/doc-history.ts';
import feedRoutes from './http/routes/feeds.ts';
import subscriptionRoutes from './http/routes/subscriptions.ts';

export interface AppOptions {
  config: Config;
  /** An open database to use instead of opening one from config (tests). */
  db?: Database | undefined;
  iam?: IamSource | undefined;
  /** Host-name resolver of the outbound-URL guard (tests map names; default: the system's). */
  resolver?: Resolver | undefined;
  worker?: boolean | undefined;
  seed?: boolean | undefined;
}

export default async function app(fastify: FastifyInstance, opts: AppOptions) {
  await fastify.register(errors);
  await fastify.register(database, { config: opts.config, db: opts.db });
  await fastify.register(services, { config: opts.config, iam: opts.iam, resolver: opts.resolver, worker: opts.worker, seed: opts.seed });
  // The configured documentation feeds (POLICYWATCH_RSS_FEEDS or the defaults) become the active
  // list at start-up; idempotent, so every replica may do it.
  fastify.addHook('onReady', async () => {
    try {
      await fastify.services.docHistory.seedFeeds();
    } catch (err) {
      fastify.log.error({ err }, 'configuring documentation feeds failed');
    }
  });
  await fastify.register(healthRoutes);
  await fastify.register(feedRoutes);
  await fastify.register(async (api) => {
    await api.register(policyRoutes);
    await api.register(pollRunRoutes);
    await api.register(changeRoutes);
    await api.register(docHistoryRoutes);
    await api.register(subscriptionRoutes);
  }, { prefix: '/api' });
}

/** The app as a ready-to-use Fastify instance (server, worker, CLI and tests share this). */
export async function buildApp(opts: AppOptions & { logger?: boolean | object }) {
  const { default: Fastify } = await import('fastify');
  const { loggerOptions } = await import('./config/logger.ts');
  const fastify = Fastify({
    logger: opts.logger === undefined ? loggerOptions(opts.config) : opts.logger,
    // Policy documents can be large; nothing we accept is.
    bodyLimit: 1024 * 1024,
    // Migrating a large database at start-up can take longer than Fastify's 10 s default.
    pluginTimeout: 300_000,
    // IAM policy names run to 128 characters (3× that percent-encoded); Fastify's default is 100.
    routerOptions: { maxParamLength: 512 },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });
  // fp: the app's decorators (db, services, scheduler) are visible on the returned instance.
  await fastify.register(fp(app), opts);
  return fastify;
}
