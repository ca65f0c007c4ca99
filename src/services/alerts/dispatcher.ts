// Sends one delivery per queue job: renders the message (Slack Block Kit or the signed change
// event JSON), posts it through the outbound guard with a timeout, and records the attempt. The
// queue (pg-boss) retries a throw with backoff and dead-letters it after the limit; a 429's
// Retry-After becomes the earliest next attempt; a target answering 404/410 repeatedly gets its
// subscription disabled with the reason. URLs and secrets never reach a log line or an error.
import type { AlertHttp, AlertHttpResponse, Delivery, DeliveryJob, DeliverySendStore, Subscription, SubscriptionStore } from '../../core/alerts.ts';
import { RetryAfterError, failureReason } from '../../core/alerts.ts';
import type { Logger } from '../../core/logger.ts';
import type { StoredEvent } from '../../core/events.ts';
import type { AlertEvent } from '../../alerts/types.ts';
import { digestMessage, eventMessage, testMessage } from '../../alerts/slack.ts';
import { signedHeaders } from '../../alerts/webhook.ts';

export interface DispatcherOptions {
  sendTimeoutMs: number;
  /** 404/410 answers in a row that disable a subscription. */
  goneLimit: number;
  publicUrl?: string | undefined;
}

export interface DispatcherDeps {
  store: SubscriptionStore;
  sends: DeliverySendStore;
  http: AlertHttp;
  /** Stored events by id, presented as the API shows them (with AWS's stated reason). */
  events: (ids: string[]) => Promise<AlertEvent[]>;
  log: Logger;
  options: DispatcherOptions;
  now?: () => Date;
}

/** Retry-After: delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(v: string | null, now: Date): Date | null {
  if (!v) return null;
  const t = v.trim();
  if (/^\d{1,7}$/.test(t)) return new Date(now.getTime() + Number(t) * 1000);
  const d = Date.parse(t);
  return Number.isFinite(d) ? new Date(Math.max(d, now.getTime())) : null;
}

class AttemptFailed extends Error {}

export class Dispatcher {
  private readonly slackBodies = new WeakMap<AlertEvent, string>();
  private readonly webhookBodies = new WeakMap<AlertEvent, string>();

  constructor(private readonly deps: DispatcherDeps) {}

  private now() {
    return (this.deps.now ?? (() => new Date()))();
  }

  /** One queue job. Throws to have the queue retry it. */
  async handle(job: DeliveryJob & { attempt: number; lastAttempt: boolean }): Promise<void> {
    const { store, sends, log } = this.deps;
    const found = await sends.deliveryToSend(job.deliveryId);
    // Gone (its subscription was deleted) or already delivered: a duplicate job, nothing to send.
    if (!found || found.delivery.status === 'delivered') return;
    const { delivery: d, subscription: sub } = found;
    if (d.status === 'collecting') await store.markDue(d.id);
    if (!sub.enabled) {
      await store.markDead(d.id, `subscription disabled${sub.disabledReason ? `: ${sub.disabledReason}` : ''}`);
      return;
    }
    const body = await this.render(sub, d);
    if (!body) {
      await sends.recordAttempt(d.id, { ok: false, error: 'events-gone', final: true, retryAt: null }, this.now());
      return;
    }
    const at = this.now();
    const headers = sub.kind === 'webhook' && sub.secret ? signedHeaders(sub.secret, d.id, body, at) : { 'content-type': 'application/json' };
    let res: AlertHttpResponse;
    try {
      res = await this.deps.http.post(sub.url, { headers, body, timeoutMs: this.deps.options.sendTimeoutMs });
    } catch (err) {
      return this.failed(sub, d, job, failureReason(err), null);
    }
    if (res.status >= 200 && res.status < 300) {
      await sends.recordAttempt(d.id, { ok: true }, this.now());
      if (sub.goneCount > 0) await store.resetGone(sub.id);
      log.info({ delivery: d.id, subscription: sub.id, attempt: job.attempt }, 'alert delivered');
      return;
    }
    if (res.status === 404 || res.status === 410) {
      const reason = `target answered ${res.status} ${this.deps.options.goneLimit} times in a row`;
      if (await store.countGone(sub.id, this.deps.options.goneLimit, reason)) {
        log.warn({ subscription: sub.id, status: res.status }, 'subscription disabled: its target is gone');
        await sends.recordAttempt(d.id, { ok: false, error: `http-${res.status}`, final: true, retryAt: null }, this.now());
        return;
      }
    } else if (sub.goneCount > 0) {
      await store.resetGone(sub.id);
    }
    const retryAt = res.status === 429 ? parseRetryAfter(res.retryAfter, this.now()) : null;
    return this.failed(sub, d, job, `http-${res.status}`, retryAt);
  }

  private async failed(sub: Subscription, d: Delivery, job: { attempt: number; lastAttempt: boolean }, reason: string, retryAt: Date | null): Promise<never> {
    await this.deps.sends.recordAttempt(d.id, { ok: false, error: reason, final: job.lastAttempt, retryAt }, this.now());
    this.deps.log.warn({ delivery: d.id, subscription: sub.id, attempt: job.attempt, reason, final: job.lastAttempt }, 'alert attempt failed');
    if (retryAt) throw new RetryAfterError(reason, retryAt);
    throw new AttemptFailed(reason);
  }

  /** The request body: Slack's message or the webhook's JSON; null when its events are gone. */
  private async render(sub: Subscription, d: Delivery): Promise<string | null> {
    const o = { publicUrl: this.deps.options.publicUrl };
    if (d.kind === 'test') {
      return JSON.stringify(sub.kind === 'slack'
        ? testMessage(sub.name)
        : { type: 'policywatch.test', subscription: { id: sub.id, name: sub.name }, sentAt: this.now().toISOString() });
    }
    const events = await this.deps.events(d.eventIds);
    if (events.length === 0) return null;
    if (d.kind === 'digest') {
      const period = { mode: sub.mode, start: d.periodStart ?? d.createdAt };
      return JSON.stringify(sub.kind === 'slack'
        ? digestMessage(events, period)
        : { type: 'policywatch.digest', mode: sub.mode, periodStart: period.start.toISOString(), events });
    }
    // An event goes to every matching subscription: its body is built once per kind (the loader
    // hands out the same presented object while it is cached).
    const e = events[0] as AlertEvent;
    const cache = sub.kind === 'slack' ? this.slackBodies : this.webhookBodies;
    let body = cache.get(e);
    if (body === undefined) {
      body = JSON.stringify(sub.kind === 'slack' ? eventMessage(e, o) : { type: 'policywatch.change', event: e });
      cache.set(e, body);
    }
    return body;
  }
}

/**
 * Loads and presents stored events for the dispatcher (missing ids are skipped). An event fans
 * out to every matching subscription at once, so presented events are kept for a short while
 * (30 s, 500 at most): a recomputation or a new documentation join shows in later sends.
 */
export function eventLoader(get: (id: string) => Promise<StoredEvent | null>, present: (es: StoredEvent[]) => Promise<AlertEvent[]>, ttlMs = 30_000) {
  const cache = new Map<string, { at: number; event: Promise<AlertEvent | null> }>();
  const load = (id: string): Promise<AlertEvent | null> => {
    const now = Date.now();
    const hit = cache.get(id);
    if (hit && now - hit.at < ttlMs) return hit.event;
    if (cache.size >= 500) for (const [k, v] of cache) if (now - v.at >= ttlMs || cache.size >= 500) cache.delete(k);
    const event = get(id).catch(() => null).then(async (e) => (e ? ((await present([e]))[0] ?? null) : null));
    // A failed load is not kept: the next attempt asks again.
    event.then((e) => e ?? cache.delete(id), () => cache.delete(id));
    cache.set(id, { at: now, event });
    return event;
  };
  return async (ids: string[]) => (await Promise.all(ids.map(load))).filter((e): e is AlertEvent => e !== null);
}
