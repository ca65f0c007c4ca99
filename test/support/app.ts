import Fastify from 'fastify';
import fp from 'fastify-plugin';
import app, { fastifyOptions } from '../../src/app.ts';
import { recordRoutes } from './routes.ts';
import { loadConfig, type Config } from '../../src/config/env.ts';
import type { IamSource } from '../../src/core/iam.ts';
import type { Resolver } from '../../src/sources/outbound/index.ts';
import { createTestDatabase, TEST_DB_TIMEOUTS, type Backend } from './db.ts';

/** The bootstrap admin key every test app accepts (POLICYWATCH_ADMIN_API_KEY). */
export const TEST_ADMIN_KEY = 'pw_test_admin_key_0123456789abcdefghijklmnop';
/** Headers for requests that change state. */
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_KEY}` } as const;

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Tests serve feeds from 127.0.0.1.
  return { ...loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'silent', POLICYWATCH_FEED_ALLOW_INTERNAL: 'on', POLICYWATCH_ADMIN_API_KEY: TEST_ADMIN_KEY }), dbConnectTimeoutMs: TEST_DB_TIMEOUTS.connectTimeoutMs, ...overrides };
}

/** The real app on a fresh database; torn down when the test (or suite) ends. */
export async function build(t: { after(fn: () => Promise<void>): unknown }, o: { backend?: Backend; iam?: IamSource; config?: Partial<Config>; seed?: boolean; resolver?: Resolver } = {}) {
  const tdb = await createTestDatabase(o.backend ?? 'postgres');
  // As buildApp does, with the route table recorded for tests that walk every route.
  const config = testConfig(o.config);
  const server = Fastify(await fastifyOptions({ config, logger: false }));
  recordRoutes(server);
  await server.register(fp(app), { config, db: tdb.db, iam: o.iam, resolver: o.resolver, worker: false, seed: o.seed ?? false });
  t.after(async () => {
    await server.close();
    await tdb.cleanup();
  });
  await server.ready();
  return server;
}
