// Opens (or adopts) the database, migrates it under the migrate lock, closes it on shutdown.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database, type DbTimeouts } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import type { Config } from '../config/env.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

export default fp(async function database(app: FastifyInstance, opts: { config: Config; db?: Database | undefined }) {
  const owned = !opts.db;
  // Each concurrent policy write holds a connection for its transaction, plus the lock sessions
  // (poller, RSS poller, seed) and the API's own queries.
  const poolMax = Math.max(10, opts.config.iamConcurrency + 6);
  // The first start on an empty data directory spends seconds here: say what is going on.
  if (owned) app.log.info(opts.config.databaseUrl ? 'connecting to Postgres' : `opening the embedded database in ${opts.config.dataDir}`);
  const db = opts.db ?? (await openDatabase({ databaseUrl: opts.config.databaseUrl, dataDir: opts.config.dataDir, poolMax, timeouts: dbTimeouts(opts.config) }));
  if (db.created?.from === 'template') app.log.info('created the embedded database from the migrated template (no initdb)');
  else if (db.created) app.log.info({ reason: db.created.templateSkipped }, 'created the embedded database with initdb');
  try {
    app.log.info('applying database migrations');
    const applied = await migrate(db);
    app.log.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database schema is up to date');
  } catch (err) {
    if (owned) await db.close();
    throw err;
  }
  app.decorate('db', db);
  if (owned) app.addHook('onClose', async () => db.close());
}, { name: 'database' });

export const dbTimeouts = (c: Config): DbTimeouts => ({
  connectTimeoutMs: c.dbConnectTimeoutMs, statementTimeoutMs: c.dbStatementTimeoutMs, idleInTransactionTimeoutMs: c.dbIdleInTransactionTimeoutMs,
});
