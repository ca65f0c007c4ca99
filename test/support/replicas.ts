// Several instances of the real app over ONE database, as replicas of a deployment are: each has
// its own connection pool (Postgres) or shares the one in-process engine (PGlite).
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config/env.ts';
import type { IamSource } from '../../src/core/iam.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { testConfig } from './app.ts';
import { createTestDatabaseUrl, TEST_DB_TIMEOUTS, type Backend } from './db.ts';

export interface Replicas {
  apps: FastifyInstance[];
  /** The Postgres URL (undefined for PGlite). */
  url: string | undefined;
}

export async function buildReplicas(
  t: { after(fn: () => Promise<void>): unknown },
  n: number,
  o: { backend?: Backend; iam?: IamSource; config?: Partial<Config> } = {},
): Promise<Replicas> {
  const closers: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const fn of closers.reverse()) await fn().catch(() => {});
  });
  let url: string | undefined;
  let shared: Database | undefined;
  if ((o.backend ?? 'postgres') === 'postgres') {
    const created = await createTestDatabaseUrl();
    url = created.url;
    closers.push(created.drop);
  } else {
    shared = await openDatabase({});
    await migrate(shared);
    const db = shared;
    closers.push(() => db.close());
  }
  const apps: FastifyInstance[] = [];
  for (let i = 0; i < n; i++) {
    const db = shared ?? (await openDatabase({ databaseUrl: url, poolMax: 5, timeouts: TEST_DB_TIMEOUTS }));
    if (!shared) closers.push(() => db.close());
    const app = await buildApp({ config: testConfig(o.config), db, iam: o.iam, worker: false, seed: false, logger: false });
    closers.push(() => app.close().then(() => undefined));
    await app.ready();
    apps.push(app);
  }
  return { apps, url };
}
