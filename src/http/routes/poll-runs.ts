import type { FastifyInstance } from 'fastify';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { PollRunRow } from '../../core/stores.ts';
import { pollIam } from '../../jobs/jobs.ts';
import { JobBusyError } from '../../jobs/scheduler.ts';

export default async function pollRunRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { source?: string; limit: number; cursor?: string } }>(
    '/poll-runs',
    {
      schema: {
        querystring: {
          type: 'object', additionalProperties: false,
          properties: {
            source: { type: 'string', enum: ['iam', 'rss', 'seed', 'iamtrail'] },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
            cursor: { type: 'string', maxLength: 2048 },
          },
        },

      },
    },
    async (req) => {
      const c = decodeCursor(req.query.cursor, { before: 'number' });
      const rows = await app.services.policies.listRuns({ source: req.query.source, beforeId: c?.before, limit: req.query.limit + 1 });
      const page = rows.slice(0, req.query.limit);
      const last = page.at(-1);
      return { items: page, nextCursor: rows.length > req.query.limit && last ? encodeCursor({ before: Number(last.id) }) : null };
    },
  );

  app.get<{ Params: { id: string } }>('/poll-runs/:id', async (req) => app.services.policies.getRun(req.params.id));

  // Starts an IAM poll now and answers as soon as its run exists (202), or 409 when one is going.
  app.post<{ Querystring: { source?: string } }>(
    '/poll-runs',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { source: { type: 'string', enum: ['iam'] } } } } },
    async (req, reply) => {
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
    },
  );
}
