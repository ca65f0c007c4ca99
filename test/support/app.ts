import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/env.ts';
import type { IamSource } from '../../src/core/iam.ts';
import type { Resolver } from '../../src/sources/outbound/index.ts';
import { createTestDatabase, type Backend } from './db.ts';

/** The bootstrap admin key every test app accepts (POLICYWATCH_ADMIN_API_KEY). */
export const TEST_ADMIN_KEY = 'pw_test_admin_key_0123456789abcdefghijklmnop';
/** Headers for requests that change state. */
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_KEY}` } as const;

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Tests serve feeds from 127.0.0.1.
  return { ...loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'silent', POLICYWATCH_FEED_ALLOW_INTERNAL: 'on', POLICYWATCH_ADMIN_API_KEY: TEST_ADMIN_KEY }), ...overrides };
}

/** The real app on a fresh database; torn down when the test (or suite) ends. */
export async function build(t: { after(fn: () => Promise<void>): unknown }, o: { backend?: Backend; iam?: IamSource; config?: Partial<Config>; seed?: boolean; resolver?: Resolver } = {}) {
  const tdb = await createTestDatabase(o.backend ?? 'postgres');
  const app = await buildApp({ config: testConfig(o.config), db: tdb.db, iam: o.iam, resolver: o.resolver, worker: false, seed: o.seed ?? false, logger: false });
  t.after(async () => {
    await app.close();
    await tdb.cleanup();
  });
  await app.ready();
  return app;
}
