// Poll history, and starting an IAM poll now.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { PollRunRow } from '../../core/stores.ts';
import { pollIam } from '../../jobs/jobs.ts';
import { JobBusyError } from '../../jobs/scheduler.ts';
import { AppError } from '../../core/errors.ts';
import { pollRunRouteSchemas as s } from '../schemas/poll-runs.ts';

/** A manual poll may start at most this often: each one spends the account's IAM rate limit. */
const MANUAL_POLL_INTERVAL_MS = 60_000;

/**
 * 429 with Retry-After when an IAM poll (manual or scheduled, by any replica) started less than a
 * minute ago. Read from the runs table, so the limit holds across replicas; a run still going is
 * left to the lock (409), which also clears runs left 'running' by a dead process.
 */
async function refuseIfTooSoon(app: FastifyInstance, reply: FastifyReply): Promise<void> {
  const [last] = await app.services.policies.listRuns({ source: 'iam', limit: 1 });
  if (!last || last.status === 'running') return;
  const wait = last.startedAt.getTime() + MANUAL_POLL_INTERVAL_MS - Date.now();
  if (wait <= 0) return;
  reply.header('retry-after', String(Math.ceil(wait / 1000)));
  throw new AppError('POLL_TOO_SOON', `an IAM poll started at ${last.startedAt.toISOString()}; manual polls may start at most once a minute, retry in ${Math.ceil(wait / 1000)} s`, 429);
}

const pollRunRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Runs change while they run (status, counts): revalidated with the ETag on every request.
  const revalidate = { cache: 'revalidate' } as const;

  app.get('/poll-runs', { schema: s.list, config: revalidate }, async (req) => {
    const c = decodeCursor(req.query.cursor, { before: 'number' });
    const rows = await app.services.policies.listRuns({ source: req.query.source, beforeId: c?.before, limit: req.query.limit + 1 });
    const page = rows.slice(0, req.query.limit);
    const last = page.at(-1);
    return { items: page, nextCursor: rows.length > req.query.limit && last ? encodeCursor({ before: Number(last.id) }) : null };
  });

  app.get('/poll-runs/:id', { schema: s.one, config: revalidate }, async (req) => app.services.policies.getRun(req.params.id));

  // Starts an IAM poll now and answers as soon as its run exists (202), or 409 when one is going.
  app.post('/poll-runs', { schema: s.start }, async (req, reply) => {
    await refuseIfTooSoon(app, reply);
    let started!: (r: PollRunRow) => void;
    const startedP = new Promise<PollRunRow>((r) => (started = r));
    const run = app.scheduler.runNow('iam', (h) => pollIam(h, started));
    // Busy here (JobBusyError) or busy on another replica (lock not acquired): one answer.
    const first = await Promise.race([startedP.then((r) => ({ r })), run.then((x) => ({ x }), (err: unknown) => {
      if (err instanceof JobBusyError) return { busy: true };
      throw err;
    })]);
    if ('r' in first) {
      run.catch((err: unknown) => req.log.error({ err }, 'manual poll failed'));
      return reply.status(202).header('location', `/api/poll-runs/${first.r.id}`).send(first.r);
    }
    return reply.status(409).send({ error: { code: 'POLL_IN_PROGRESS', message: 'another process is running an IAM poll; try again when it finishes' } });
  });
};
export default pollRunRoutes;
