// /healthz: liveness only (the process answers). /readyz: whether this instance should get
// traffic, answered within READY_DEADLINE_MS whatever the database does, with a stable reason per
// check and never a raw error.
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { pendingMigrations } from '../../db/migrate.ts';
import type { ProgressSnapshot } from '../../core/progress.ts';
import { healthRouteSchemas as s, type ReadinessBody, type SeedProgress } from '../schemas/health.ts';

/** Every database step of /readyz together; a load balancer's probe timeout is usually 2 s or more. */
export const READY_DEADLINE_MS = 1500;

class Timeout extends Error {}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout()), ms);
  });
  // The work may go on after the deadline; its late failure must not surface as unhandled.
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

// Probes are open whatever POLICYWATCH_REQUIRE_API_KEY says, and never cached.
const probe = { cache: 'none', access: 'public' } as const;

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { schema: s.healthz, config: probe }, async () => ({ status: 'ok' as const }));

  // Once the database has every migration this code expects it stays so for the process' life.
  let migrated = false;

  app.get('/readyz', { schema: s.readyz, config: probe }, async (_req, reply) => {
    const seedState = app.seed.state;
    const progress = app.seed.progress?.snapshot();
    const seed: ReadinessBody['checks']['seed'] = seedState === 'off' ? { state: 'off' } : { state: seedState };
    if (progress && seedState !== 'off') seed.progress = toProgress(progress);

    let body: ReadinessBody;
    if (seedState === 'seeding') {
      // The seed holds the embedded database's only connection for seconds at a time; it is
      // not ready whatever the database says.
      body = { status: 'seeding', checks: { database: { state: 'ok' }, seed } };
    } else {
      body = await within(READY_DEADLINE_MS, check(seed)).catch((err: unknown) => ({
        status: 'not_ready' as const,
        checks: { database: { state: err instanceof Timeout ? 'timeout' as const : 'unreachable' as const }, seed },
      }));
    }
    if (body.status !== 'ready') reply.header('retry-after', '5');
    return reply.status(body.status === 'ready' ? 200 : 503).send(body);
  });

  async function check(seed: ReadinessBody['checks']['seed']): Promise<ReadinessBody> {
    await app.db.ping();
    if (!migrated) {
      const pending = await pendingMigrations(app.db);
      if (pending.length > 0) return { status: 'migrating', checks: { database: { state: 'ok' }, migrations: { state: 'pending', pending }, seed } };
      migrated = true;
    }
    const sources = await app.services.readiness.sources();
    const ready = seed.state !== 'failed' && Object.values(sources).every((s) => s.ready);
    return { status: ready ? 'ready' : 'not_ready', checks: { database: { state: 'ok' }, migrations: { state: 'ok', pending: [] }, seed, sources } };
  }
}

function toProgress(p: ProgressSnapshot): Static<typeof SeedProgress> {
  return {
    phase: p.phase, policiesDone: p.policiesDone, policiesTotal: p.policiesTotal ?? null, versionsDone: p.versionsDone,
    elapsedSeconds: p.elapsedSeconds, rate: p.rate, etaSeconds: p.etaSeconds ?? null,
  };
}
