// Prisma implementation of SubscriptionStore: subscriptions and their delivery log (CRUD only;
// the in-transaction outbox writes are in alert-outbox-store.ts).
import type {
  Delivery, DeliveryKind, DeliveryStatus, NewSubscription, Subscription, SubscriptionFilters, SubscriptionKind, SubscriptionMode,
  SubscriptionPatch, SubscriptionStore,
} from '../../core/alerts.ts';
import type { PrismaClient } from '../generated/client.ts';

type SubRow = Awaited<ReturnType<PrismaClient['subscription']['create']>>;
type DeliveryRow = Awaited<ReturnType<PrismaClient['alertDelivery']['create']>>;

const toSub = (r: SubRow): Subscription => ({
  ...r, kind: r.kind as SubscriptionKind, mode: r.mode as SubscriptionMode, filters: r.filters as unknown as SubscriptionFilters,
});
const toDelivery = (r: DeliveryRow): Delivery => ({ ...r, kind: r.kind as DeliveryKind, status: r.status as DeliveryStatus, eventIds: r.eventIds ?? [] });

export class PrismaSubscriptionStore implements SubscriptionStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(s: NewSubscription) {
    return toSub(await this.prisma.subscription.create({ data: { ...s, filters: s.filters as unknown as object } }));
  }

  async get(id: string) {
    const r = await this.prisma.subscription.findUnique({ where: { id } });
    return r ? toSub(r) : null;
  }

  async list(q: { after?: string | undefined; limit: number }) {
    const rows = await this.prisma.subscription.findMany({ where: q.after ? { id: { gt: q.after } } : {}, orderBy: { id: 'asc' }, take: q.limit });
    return rows.map(toSub);
  }

  async update(id: string, p: SubscriptionPatch) {
    const data = {
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.url !== undefined ? { url: p.url } : {}),
      ...(p.mode !== undefined ? { mode: p.mode } : {}),
      ...(p.filters !== undefined ? { filters: p.filters as unknown as object } : {}),
      ...(p.enabled === true ? { enabled: true, disabledReason: null, goneCount: 0 } : p.enabled === false ? { enabled: false } : {}),
      updatedAt: new Date(),
    };
    const r = await this.prisma.subscription.updateMany({ where: { id }, data });
    return r.count === 0 ? null : this.get(id);
  }

  async delete(id: string) {
    return (await this.prisma.subscription.deleteMany({ where: { id } })).count > 0;
  }

  async deliveries(subscriptionId: string, q: { before?: string | undefined; limit: number }) {
    const rows = await this.prisma.alertDelivery.findMany({
      where: { subscriptionId, ...(q.before ? { id: { lt: q.before } } : {}) },
      orderBy: { id: 'desc' }, take: q.limit,
    });
    return rows.map(toDelivery);
  }

  async delivery(id: string) {
    const r = await this.prisma.alertDelivery.findUnique({ where: { id } });
    return r ? toDelivery(r) : null;
  }

  async createTestDelivery(id: string, subscriptionId: string) {
    return toDelivery(await this.prisma.alertDelivery.create({ data: { id, subscriptionId, kind: 'test', status: 'pending' } }));
  }

  async resetForRedelivery(id: string) {
    const r = await this.prisma.alertDelivery.updateMany({
      where: { id, status: { in: ['delivered', 'dead'] } },
      data: { status: 'pending', nextAttemptAt: null, deliveredAt: null },
    });
    return r.count === 0 ? null : this.delivery(id);
  }

  async markDue(id: string) {
    await this.prisma.alertDelivery.updateMany({ where: { id, status: 'collecting' }, data: { status: 'pending' } });
  }

  async markDead(id: string, error: string) {
    await this.prisma.alertDelivery.updateMany({ where: { id, status: { in: ['pending', 'retrying'] } }, data: { status: 'dead', nextAttemptAt: null } });
    await this.prisma.alertDelivery.updateMany({ where: { id, lastError: null }, data: { lastError: error } });
  }

  async countGone(subscriptionId: string, threshold: number, reason: string) {
    const s = await this.prisma.subscription.update({ where: { id: subscriptionId }, data: { goneCount: { increment: 1 } } });
    if (s.goneCount < threshold || !s.enabled) return false;
    await this.prisma.subscription.update({ where: { id: subscriptionId }, data: { enabled: false, disabledReason: reason, updatedAt: new Date() } });
    return true;
  }

  async resetGone(subscriptionId: string) {
    await this.prisma.subscription.updateMany({ where: { id: subscriptionId, goneCount: { gt: 0 } }, data: { goneCount: 0 } });
  }
}
