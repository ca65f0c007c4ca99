// The application as a Fastify plugin (fastify/demo style): server.ts only runs the process,
// tests build this against a real database and use app.inject.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config/env.ts';
import type { Database } from './db/database.ts';
import type { IamSource } from './core/iam.ts';
import type { Resolver } from './sources/outbound/index.ts';
import errors from './plugins/errors.ts';
import hardening, { clientErrorHandler, frameworkErrors } from './http/hardening.ts';
import caching from './http/caching.ts';
import docs from './http/docs.ts';
import { RequestLogController, requestChildLogger } from './http/request-log.ts';
import database from './plugins/database.ts';
import services from './plugins/services.ts';
import auth from './plugins/auth.ts';
import rateLimits from './plugins/rate-limit.ts';
import healthRoutes from './http/routes/health.ts';
import policyRoutes from './http/routes/policies.ts';
import pollRunRoutes from './http/routes/poll-runs.ts';
import changeRoutes from './http/routes/changes.ts';
import docHistoryRoutes from './http/routes/doc-history.ts';
import syndicationRoutes from './http/routes/syndication.ts';
import metrics from './metrics/plugin.ts';
import dashboard from './dashboard/plugin.ts';
import statsRoutes from './http/routes/stats.ts';
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
  /**
   * false: the process never answers HTTP requests (the worker alone, one-shot CLI commands such as
   * `policywatch import`), so the API reference page is left out: Scalar's module and the browser
   * script it embeds hold ~20 MB of heap for the process's whole life, and V8 lets the heap grow to
   * a multiple of what stays live (an import peaked ~70 MB higher with it). Default true.
   */
  http?: boolean | undefined;
}

export default async function app(fastify: FastifyInstance, opts: AppOptions) {
  await fastify.register(errors);
  await fastify.register(hardening);
  await fastify.register(database, { config: opts.config, db: opts.db });
  await fastify.register(services, { config: opts.config, iam: opts.iam, resolver: opts.resolver, worker: opts.worker, seed: opts.seed });
  // Before any route (the API reference's included): auth and the rate limiter attach their
  // hooks to each route as it is declared, knowing its access level.
  await fastify.register(auth, { requireApiKey: opts.config.requireApiKey });
  await fastify.register(rateLimits, { max: opts.config.rateLimitMax, windowSeconds: opts.config.rateLimitWindowSeconds });
  // ETags, the response cache keyed on the data generation, compression; then the OpenAPI
  // document, which must see every route registered after it.
  await fastify.register(caching, { generation: () => fastify.services.generation.current() });
  await fastify.register(docs, { ui: opts.http !== false });
  // The configured documentation feeds (POLICYWATCH_RSS_FEEDS or the defaults) become the active
  // list at start-up; idempotent, so every replica may do it.
  fastify.addHook('onReady', async () => {
    try {
      await fastify.services.docHistory.seedFeeds();
    } catch (err) {
      fastify.log.error({ err }, 'configuring documentation feeds failed');
    }
  });
  await fastify.register(metrics);
  await fastify.register(dashboard);
  await fastify.register(healthRoutes);
  await fastify.register(syndicationRoutes);
  await fastify.register(async (api) => {
    await api.register(policyRoutes);
    await api.register(pollRunRoutes);
    await api.register(changeRoutes);
    await api.register(docHistoryRoutes);
    await api.register(statsRoutes);
    await api.register(subscriptionRoutes);
  }, { prefix: '/api' });
}

/** The app as a ready-to-use Fastify instance (server, worker, CLI and tests share this). */
export async function buildApp(opts: AppOptions & { logger?: boolean | object }) {
  const { default: Fastify } = await import('fastify');
  const fastify = Fastify(await fastifyOptions(opts));
  // fp: the app's decorators (db, services, scheduler) are visible on the returned instance.
  await fastify.register(fp(app), opts);
  return fastify;
}

/** The server options the app is built for (tests that need hooks before the routes use them too). */
export async function fastifyOptions(opts: { config: Config; logger?: boolean | object }): Promise<FastifyServerOptions> {
  const { loggerOptions } = await import('./config/logger.ts');
  return {
    logger: opts.logger === undefined ? loggerOptions(opts.config) : opts.logger,
    // One line per request, none for probes (http/request-log.ts).
    logController: new RequestLogController(),
    childLoggerFactory: requestChildLogger,
    // Policy documents can be large; nothing we accept is.
    bodyLimit: 1024 * 1024,
    // Migrating a large database at start-up can take longer than Fastify's 10 s default.
    pluginTimeout: 300_000,
    // IAM policy names run to 128 characters (3× that percent-encoded); Fastify's default is 100.
    routerOptions: { maxParamLength: 512 },
    // verbose: the failing schema travels with the error, so the message can name the rule and
    // the parameter's own error code (`x-error-code`, see http/schemas/common.ts).
    ajv: {
      customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false, verbose: true },
      plugins: [<T extends { addKeyword(keyword: string): T }>(ajv: T) => ajv.addKeyword('x-error-code')],
    },
    // Router- and socket-level errors in the API's error shape.
    frameworkErrors,
    clientErrorHandler,
  };
}
