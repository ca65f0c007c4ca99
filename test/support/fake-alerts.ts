// In-memory fakes of the alert store, queue and outbound HTTP (Unleash style): the services'
// behaviour is tested against these, the Prisma/pg-boss implementations in integration tests.
import type {
  AlertHttp, AlertHttpResponse, AttemptOutcome, Delivery, DeliveryJob, DeliveryQueue, DeliverySendStore, NewSubscription, Subscription, SubscriptionPatch,
  SubscriptionStore, Transaction,
} from '../../src/core/alerts.ts';

/** Both alert stores in one (the fake keeps one map of deliveries). */
export class InMemorySubscriptionStore implements SubscriptionStore, DeliverySendStore {
  readonly subs = new Map<string, Subscription>();
  readonly ds = new Map<string, Delivery>();

  async create(s: NewSubscription) {
    const now = new Date();
    const sub: Subscription = { ...s, enabled: true, disabledReason: null, goneCount: 0, createdAt: now, updatedAt: now };
    this.subs.set(s.id, sub);
    return { ...sub };
  }
  async get(id: string) {
    const s = this.subs.get(id);
    return s ? { ...s } : null;
  }
  async list(q: { after?: string | undefined; limit: number }) {
    return [...this.subs.values()].filter((s) => !q.after || s.id > q.after).sort((a, b) => a.id.localeCompare(b.id)).slice(0, q.limit);
  }
  async update(id: string, p: SubscriptionPatch) {
    const s = this.subs.get(id);
    if (!s) return null;
    const next = { ...s, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)), updatedAt: new Date() } as Subscription;
    if (p.enabled === true) Object.assign(next, { disabledReason: null, goneCount: 0 });
    this.subs.set(id, next);
    return { ...next };
  }
  async delete(id: string) {
    for (const [k, d] of this.ds) if (d.subscriptionId === id) this.ds.delete(k);
    return this.subs.delete(id);
  }
  async deliveries(subscriptionId: string, q: { before?: string | undefined; limit: number }) {
    return [...this.ds.values()].filter((d) => d.subscriptionId === subscriptionId && (!q.before || d.id < q.before))
      .sort((a, b) => b.id.localeCompare(a.id)).slice(0, q.limit);
  }
  async delivery(id: string) {
    const d = this.ds.get(id);
    return d ? { ...d } : null;
  }
  async deliveryToSend(id: string) {
    const d = this.ds.get(id);
    const s = d && this.subs.get(d.subscriptionId);
    return d && s ? { delivery: { ...d }, subscription: { ...s } } : null;
  }
  /** Adds a delivery as the outbox would (the fake's own set-up, not part of the interface). */
  add(d: Partial<Delivery> & Pick<Delivery, 'id' | 'subscriptionId'>): Delivery {
    const full: Delivery = {
      kind: 'event', eventIds: [], periodStart: null, status: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, nextAttemptAt: null,
      deliveredAt: null, createdAt: new Date(), ...d,
    };
    this.ds.set(d.id, full);
    return full;
  }
  async createTestDelivery(id: string, subscriptionId: string) {
    return this.add({ id, subscriptionId, kind: 'test' });
  }
  async resetForRedelivery(id: string) {
    const d = this.ds.get(id);
    if (!d || (d.status !== 'delivered' && d.status !== 'dead')) return null;
    Object.assign(d, { status: 'pending', nextAttemptAt: null, deliveredAt: null });
    return { ...d };
  }
  async recordAttempt(id: string, o: AttemptOutcome, at: Date) {
    const d = this.ds.get(id);
    if (!d) throw new Error(`no delivery ${id}`);
    d.attempts++;
    d.lastAttemptAt = at;
    if (o.ok) Object.assign(d, { status: 'delivered', lastError: null, deliveredAt: at, nextAttemptAt: null });
    else Object.assign(d, { status: o.final ? 'dead' : 'retrying', lastError: o.error, nextAttemptAt: o.final ? null : o.retryAt });
  }
  async markDue(id: string) {
    const d = this.ds.get(id);
    if (d?.status === 'collecting') d.status = 'pending';
  }
  async markDead(id: string, error: string) {
    const d = this.ds.get(id);
    if (d && (d.status === 'pending' || d.status === 'retrying')) Object.assign(d, { status: 'dead', nextAttemptAt: null, lastError: d.lastError ?? error });
  }
  async countGone(subscriptionId: string, threshold: number, reason: string) {
    const s = this.subs.get(subscriptionId);
    if (!s) return false;
    s.goneCount++;
    if (s.goneCount < threshold || !s.enabled) return false;
    Object.assign(s, { enabled: false, disabledReason: reason });
    return true;
  }
  async resetGone(subscriptionId: string) {
    const s = this.subs.get(subscriptionId);
    if (s) s.goneCount = 0;
  }
}

export class FakeQueue implements DeliveryQueue {
  readonly sent: DeliveryJob[] = [];
  async start() {}
  async sendInTransaction(_tx: Transaction, jobs: DeliveryJob[]) {
    this.sent.push(...jobs);
  }
  async send(jobs: DeliveryJob[]) {
    this.sent.push(...jobs);
  }
  async work() {}
  async nextAttempt() {
    return null;
  }
  async stop() {}
}

/** Answers from a script, records every request; `refuse` makes check() fail with that reason. */
export class FakeHttp implements AlertHttp {
  readonly requests: { url: string; headers: Record<string, string>; body: string }[] = [];
  constructor(private readonly answers: (AlertHttpResponse | Error)[] = [], private readonly refuse?: string) {}
  async check() {
    if (this.refuse) throw Object.assign(new Error('refused'), { reason: this.refuse });
  }
  async post(url: string, init: { headers: Record<string, string>; body: string }) {
    this.requests.push({ url, headers: init.headers, body: init.body });
    const a = this.answers.shift() ?? { status: 200, retryAfter: null };
    if (a instanceof Error) throw a;
    return a;
  }
}
