import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/env.ts';
import type { IamSource } from '../../src/core/iam.ts';
import type { Resolver } from '../../src/sources/outbound/index.ts';
import { createTestDatabase, type Backend } from './db.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Tests serve feeds from 127.0.0.1.
  return { ...loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'silent', POLICYWATCH_FEED_ALLOW_INTERNAL: 'on' }), ...overrides };
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
