// Subscriptions over the API: create (URL checked through the outbound guard, signing secret
// made and shown once), list, read, change, delete, a test message, the delivery log and
// redelivery. Secrets leave this service only in the create response; everything else carries
// the masked URL.
import type { AlertHttp, Delivery, DeliveryQueue, Subscription, SubscriptionKind, SubscriptionMode, SubscriptionStore } from '../../core/alerts.ts';
import { failureReason, maskUrl } from '../../core/alerts.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { normaliseFilters, type FilterInput } from '../../alerts/filters.ts';
import { newSigningSecret } from '../../alerts/webhook.ts';
import { newDeliveryId, newSubscriptionId } from './ids.ts';

export interface CreateSubscription {
  name: string;
  kind: SubscriptionKind;
  url: string;
  filters?: FilterInput | undefined;
  mode?: SubscriptionMode | undefined;
}

export interface UpdateSubscription {
  name?: string | undefined;
  url?: string | undefined;
  filters?: FilterInput | undefined;
  mode?: SubscriptionMode | undefined;
  enabled?: boolean | undefined;
}

/** A subscription as every response after creation shows it. */
function presentSubscription(s: Subscription) {
  return {
    id: s.id, name: s.name, kind: s.kind, url: maskUrl(s.url), filters: s.filters, mode: s.mode, enabled: s.enabled,
    disabledReason: s.disabledReason, hasSecret: s.secret !== null, createdAt: s.createdAt, updatedAt: s.updatedAt,
  };
}

function presentDelivery(d: Delivery) {
  return {
    id: d.id, subscriptionId: d.subscriptionId, kind: d.kind, eventIds: d.eventIds, periodStart: d.periodStart, status: d.status,
    attempts: d.attempts, lastError: d.lastError, lastAttemptAt: d.lastAttemptAt, nextAttemptAt: d.nextAttemptAt, deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
  };
}

export class SubscriptionService {
  constructor(private readonly deps: { store: SubscriptionStore; queue: DeliveryQueue; http: AlertHttp; log: Logger }) {}

  /** The outbound guard's verdict on a target URL, as a 400 naming the reason. */
  private async checkUrl(url: string): Promise<void> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new BadRequestError('INVALID_URL', 'url is not a valid absolute URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new BadRequestError('INVALID_URL', `url must use https (or http for a private test receiver), got "${u.protocol}"`);
    if (u.username || u.password) throw new BadRequestError('INVALID_URL', 'url must not carry credentials');
    try {
      await this.deps.http.check(url);
    } catch (err) {
      throw new BadRequestError('URL_REFUSED', `url refused by the outbound guard: ${failureReason(err)}`);
    }
  }

  /** Returns the subscription with its URL and, for webhooks, its signing secret: shown this once. */
  async create(c: CreateSubscription) {
    await this.checkUrl(c.url);
    const secret = c.kind === 'webhook' ? newSigningSecret() : null;
    const s = await this.deps.store.create({
      id: newSubscriptionId(), name: c.name, kind: c.kind, url: c.url, secret, filters: normaliseFilters(c.filters), mode: c.mode ?? 'instant',
    });
    this.deps.log.info({ subscription: s.id, kind: s.kind, mode: s.mode }, 'subscription created');
    return { ...presentSubscription(s), url: s.url, ...(secret ? { secret } : {}) };
  }

  async list(q: { after?: string | undefined; limit: number }) {
    return (await this.deps.store.list(q)).map(presentSubscription);
  }

  private async load(id: string): Promise<Subscription> {
    const s = await this.deps.store.get(id);
    if (!s) throw new NotFoundError(`subscription "${id}"`);
    return s;
  }

  async get(id: string) {
    return presentSubscription(await this.load(id));
  }

  async update(id: string, u: UpdateSubscription) {
    await this.load(id);
    if (u.url !== undefined) await this.checkUrl(u.url);
    const s = await this.deps.store.update(id, {
      name: u.name, url: u.url, mode: u.mode, enabled: u.enabled, filters: u.filters ? normaliseFilters(u.filters) : undefined,
    });
    if (!s) throw new NotFoundError(`subscription "${id}"`);
    return presentSubscription(s);
  }

  async delete(id: string) {
    if (!(await this.deps.store.delete(id))) throw new NotFoundError(`subscription "${id}"`);
  }

  /** Queues a sample message; it shows in the delivery log like any other. */
  async test(id: string) {
    const s = await this.load(id);
    if (!s.enabled) throw new ConflictError('SUBSCRIPTION_DISABLED', `subscription "${id}" is disabled${s.disabledReason ? ` (${s.disabledReason})` : ''}; enable it first`);
    const d = await this.deps.store.createTestDelivery(newDeliveryId(), id);
    await this.deps.queue.send([{ deliveryId: d.id }]);
    return presentDelivery(d);
  }

  async deliveries(id: string, q: { before?: string | undefined; limit: number }) {
    await this.load(id);
    const ds = await this.deps.store.deliveries(id, q);
    // A retry's time is pg-boss's (backoff with jitter): ask the queue where the log lacks it.
    return Promise.all(ds.map(async (d) => presentDelivery(d.status === 'retrying' && !d.nextAttemptAt ? { ...d, nextAttemptAt: await this.deps.queue.nextAttempt(d.id) } : d)));
  }

  /** Sends a delivered or dead delivery again, under the same webhook-id. */
  async redeliver(deliveryId: string) {
    const d = await this.deps.store.delivery(deliveryId);
    if (!d) throw new NotFoundError(`delivery "${deliveryId}"`);
    const sub = await this.load(d.subscriptionId);
    if (!sub.enabled) throw new ConflictError('SUBSCRIPTION_DISABLED', `subscription "${sub.id}" is disabled; enable it first`);
    const reset = await this.deps.store.resetForRedelivery(deliveryId);
    if (!reset) throw new ConflictError('DELIVERY_IN_PROGRESS', `delivery "${deliveryId}" is ${d.status}; only delivered or dead deliveries can be redelivered`);
    await this.deps.queue.send([{ deliveryId }]);
    return presentDelivery(reset);
  }
}
