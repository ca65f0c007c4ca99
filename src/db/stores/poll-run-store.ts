import type { PollError, PollRunRow, PollRunStore, PollStatus } from '../../core/stores.ts';
import type { PrismaClient } from '../generated/client.ts';

type Row = Awaited<ReturnType<PrismaClient['pollRun']['create']>>;

const toRow = (r: Row): PollRunRow => ({
  id: r.id.toString(), source: r.source, startedAt: r.startedAt, finishedAt: r.finishedAt, status: r.status as PollStatus,
  apiCalls: r.apiCalls, policiesSeen: r.policiesSeen, policiesChanged: r.policiesChanged, versionsAdded: r.versionsAdded,
  datesCorrected: r.datesCorrected,
  errors: (r.errors ?? []) as unknown as PollError[],
});

export class PrismaPollRunStore implements PollRunStore {
  constructor(private readonly prisma: PrismaClient) {}

  async start(source: string) {
    return toRow(await this.prisma.pollRun.create({ data: { source, status: 'running' } }));
  }

  async finish(id: string, r: Parameters<PollRunStore['finish']>[1]) {
    // Compare-and-set on `running`: a run the next lock holder marked abandoned stays abandoned.
    await this.prisma.pollRun.updateMany({
      where: { id: BigInt(id), status: 'running' },
      data: { ...r, errors: r.errors as unknown as object[], finishedAt: new Date() },
    });
    return toRow(await this.prisma.pollRun.findUniqueOrThrow({ where: { id: BigInt(id) } }));
  }

  async abandonRunning(source: string) {
    const res = await this.prisma.pollRun.updateMany({
      where: { source, status: 'running' },
      data: { status: 'abandoned', finishedAt: new Date() },
    });
    return res.count;
  }

  async list(q: { source?: string | undefined; beforeId?: string | undefined; limit: number }) {
    const rows = await this.prisma.pollRun.findMany({
      where: { ...(q.source ? { source: q.source } : {}), ...(q.beforeId ? { id: { lt: BigInt(q.beforeId) } } : {}) },
      orderBy: { id: 'desc' },
      take: q.limit,
    });
    return rows.map(toRow);
  }

  async get(id: string) {
    const r = await this.prisma.pollRun.findUnique({ where: { id: BigInt(id) } });
    return r ? toRow(r) : null;
  }
}
