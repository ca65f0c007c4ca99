// Alerts (issue 11): subscriptions, their deliveries and the store/queue interfaces the alert
// services use. Pure types; src/db implements the stores, src/db/alert-queue.ts the queue.
import type { EventKind, EventRecord } from './events.ts';

export type SubscriptionKind = 'slack' | 'webhook';
export const SUBSCRIPTION_KINDS: readonly SubscriptionKind[] = ['slack', 'webhook'];
export type SubscriptionMode = 'instant' | 'hourly' | 'daily';
export const SUBSCRIPTION_MODES: readonly SubscriptionMode[] = ['instant', 'hourly', 'daily'];

/** What a subscription alerts on. Empty lists mean "any"; `kinds` is never empty once stored. */
export interface SubscriptionFilters {
  /** Policy names and globs (`*`, `?`), e.g. the policies an organisation attaches. */
  policies: string[];
  /** IAM service prefixes, lower case ("iam", "s3"). */
  services: string[];
  /** Access levels as the catalog names them ("Write", "Permissions management"). */
  accessLevels: string[];
  /** Diff flags ("privilege-escalation"): only events carrying one of them alert. */
  flags: string[];
  kinds: EventKind[];
}

export interface Subscription {
  id: string;
  name: string;
  kind: SubscriptionKind;
  /** A secret: never shown after creation (see maskUrl). */
  url: string;
  /** Standard Webhooks signing secret, `whsec_…` (webhook subscriptions only). */
  secret: string | null;
  filters: SubscriptionFilters;
  mode: SubscriptionMode;
  enabled: boolean;
  disabledReason: string | null;
  goneCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewSubscription = Pick<Subscription, 'id' | 'name' | 'kind' | 'url' | 'secret' | 'filters' | 'mode'>;

export interface SubscriptionPatch {
  name?: string | undefined;
  url?: string | undefined;
  filters?: SubscriptionFilters | undefined;
  mode?: SubscriptionMode | undefined;
  /** Re-enabling clears the disabled reason and the 404/410 count. */
  enabled?: boolean | undefined;
}

export type DeliveryKind = 'event' | 'digest' | 'test';
/**
 * collecting: a digest still gathering its period's events; pending: queued, no attempt yet;
 * retrying: an attempt failed, another is queued; delivered; dead: retries exhausted (or the
 * subscription was disabled); redeliver puts a delivery back to pending.
 */
export type DeliveryStatus = 'collecting' | 'pending' | 'retrying' | 'delivered' | 'dead';

export interface Delivery {
  /** Also the Standard Webhooks `webhook-id`: stable across attempts and redeliveries. */
  id: string;
  subscriptionId: string;
  kind: DeliveryKind;
  eventIds: string[];
  periodStart: Date | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** The outcome of one attempt, as the dispatcher records it. */
export type AttemptOutcome =
  | { ok: true }
  /** `final`: no retry follows (dead); `retryAt`: when the next attempt is due, where known. */
  | { ok: false; error: string; final: boolean; retryAt: Date | null };

/** CRUD side of subscriptions and the delivery log (Prisma). */
export interface SubscriptionStore {
  create(s: NewSubscription): Promise<Subscription>;
  get(id: string): Promise<Subscription | null>;
  list(q: { after?: string | undefined; limit: number }): Promise<Subscription[]>;
  update(id: string, patch: SubscriptionPatch): Promise<Subscription | null>;
  delete(id: string): Promise<boolean>;
  deliveries(subscriptionId: string, q: { before?: string | undefined; limit: number }): Promise<Delivery[]>;
  delivery(id: string): Promise<Delivery | null>;
  createTestDelivery(id: string, subscriptionId: string): Promise<Delivery>;
  /** Puts a delivered or dead delivery back to pending (redeliver); null when it is not one. */
  resetForRedelivery(id: string): Promise<Delivery | null>;
  /** A digest's period ended: it stops collecting (later events go to the next period). */
  markDue(id: string): Promise<void>;
  /** Retries exhausted (dead-letter queue): dead unless it was delivered meanwhile. */
  markDead(id: string, error: string): Promise<void>;
  /** Counts a 404/410 and disables the subscription at `threshold` in a row; returns whether it did. */
  countGone(subscriptionId: string, threshold: number, reason: string): Promise<boolean>;
  resetGone(subscriptionId: string): Promise<void>;
}

/**
 * The dispatcher's per-delivery reads and writes: tuned SQL, since every delivery pays for them,
 * and calls made together may share one statement (see bench/README.md). Each call resolves once
 * its own row is read or written.
 */
export interface DeliverySendStore {
  /** A delivery with its subscription, in one read. */
  deliveryToSend(id: string): Promise<{ delivery: Delivery; subscription: Subscription } | null>;
  recordAttempt(id: string, outcome: AttemptOutcome, at: Date): Promise<void>;
}

/**
 * An open database transaction, opaque outside src/db. The event store hands one to the outbox
 * so deliveries commit (or roll back) with the events they announce.
 */
export interface Transaction {
  readonly __transaction: unique symbol;
}

/** Events inserted by one write transaction, with what filters need that the record lacks. */
export interface InsertedEvent {
  record: EventRecord;
  policyName: string;
}

/** What the outbox writes in the event transaction: one delivery per subscription and event (or period). */
export interface OutboxEntry {
  subscriptionId: string;
  deliveryId: string;
  kind: 'event' | 'digest';
  eventIds: string[];
  /** Digests: the period collected and when it ends (the job's start). */
  period?: { start: Date; end: Date } | undefined;
}

/** The raw-SQL side of alerts that must run inside another store's transaction. */
export interface AlertOutboxStore {
  /** Subscriptions that may alert now, read inside the event transaction. */
  activeSubscriptions(tx: Transaction): Promise<Subscription[]>;
  policyNames(tx: Transaction, policyIds: number[]): Promise<Map<number, string>>;
  /**
   * Writes the deliveries and queues their jobs in `tx`. A digest entry joins the period's
   * delivery when one exists (one message per period); only a new one is queued.
   */
  enqueue(tx: Transaction, entries: OutboxEntry[]): Promise<number>;
}

/** Work the delivery queue carries: one delivery id per job. */
export interface DeliveryJob {
  deliveryId: string;
  /** Digests and Retry-After: not before then. */
  startAfter?: Date | undefined;
}

/** A job failure the queue should retry not before `retryAt` (Slack's Retry-After). */
export class RetryAfterError extends Error {
  constructor(message: string, readonly retryAt: Date) {
    super(message);
    this.name = 'RetryAfterError';
  }
}

/** The delivery queue (pg-boss): at-least-once, retried with backoff, one worker per job at a time. */
export interface DeliveryQueue {
  /** Installs or checks the queue's schema; before any other call (the app does it when ready). */
  start(): Promise<void>;
  /** Queues jobs inside an open transaction (they exist only if it commits). */
  sendInTransaction(tx: Transaction, jobs: DeliveryJob[]): Promise<void>;
  send(jobs: DeliveryJob[]): Promise<void>;
  /**
   * Runs `handle` for each job. A throw is a failed attempt (retried with backoff, dead after the
   * limit: `onDead`); a RetryAfterError waits at least until its time.
   */
  work(handle: (job: DeliveryJob & { attempt: number; lastAttempt: boolean }) => Promise<void>, onDead: (deliveryId: string, error: string) => Promise<void>): Promise<void>;
  /** When the queue will try this delivery next, if it holds a job for it. */
  nextAttempt(deliveryId: string): Promise<Date | null>;
  stop(): Promise<void>;
}

/** Shown instead of a subscription URL after creation: scheme and host only. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}

/** One answer from an alert target; bodies are not read (they could be anything, and large). */
export interface AlertHttpResponse {
  status: number;
  /** The Retry-After header as sent, if any. */
  retryAfter: string | null;
}

/**
 * Outbound HTTP for alerts, always through the shared outbound-URL guard. Failures throw an
 * error carrying a short stable `reason` (blocked-address, connect-failed, timeout, …), never
 * the URL or a raw socket error.
 */
export interface AlertHttp {
  /** Create-time check: resolves the host, applies the guard and the https rule. */
  check(url: string): Promise<void>;
  post(url: string, init: { headers: Record<string, string>; body: string; timeoutMs: number }): Promise<AlertHttpResponse>;
}

/** The short stable reason of a failed send (see AlertHttp). */
export function failureReason(err: unknown): string {
  const r = (err as { reason?: unknown })?.reason;
  return typeof r === 'string' && /^[a-z0-9-]{1,40}$/.test(r) ? r : 'send-failed';
}
