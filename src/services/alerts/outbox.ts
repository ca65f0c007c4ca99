// The outbox step of ingest: inside the transaction that stores change events, decide which
// subscriptions alert on the events it inserted and queue their deliveries there. Only events a
// live IAM poll detected alert; the caller passes only those transactions here (see
// services/ingest-pipeline.ts), and within them only inserted events from IAM-sourced versions
// count, so imports, backfills, recomputations and date corrections (updates) never alert.
import type { AlertOutboxStore, InsertedEvent, OutboxEntry, SubscriptionMode, Transaction } from '../../core/alerts.ts';
import type { EventRecord } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { compileFilters } from '../../alerts/filters.ts';
import { newDeliveryId } from './ids.ts';

/** Digests: the period an event detected at `now` belongs to, and when its message goes. */
function digestPeriod(mode: Exclude<SubscriptionMode, 'instant'>, now: Date): { start: Date; end: Date } {
  const start = new Date(now);
  start.setUTCMinutes(0, 0, 0);
  if (mode === 'daily') start.setUTCHours(0);
  const end = new Date(start.getTime() + (mode === 'daily' ? 86_400_000 : 3_600_000));
  return { start, end };
}

export class AlertOutbox {
  constructor(private readonly deps: { store: AlertOutboxStore; log: Logger; now?: () => Date }) {}

  /** Called by the event store inside its transaction with the events it inserted. */
  async eventsInserted(tx: Transaction, inserted: readonly EventRecord[]): Promise<void> {
    // IAM-sourced versions and deprecations only: a late-imported version never alerts.
    const live = inserted.filter((e) => e.source === 'iam');
    if (live.length === 0) return;
    const subs = await this.deps.store.activeSubscriptions(tx);
    if (subs.length === 0) return;
    const names = await this.deps.store.policyNames(tx, [...new Set(live.map((e) => e.policyId))]);
    const events: InsertedEvent[] = live.map((record) => ({ record, policyName: names.get(record.policyId) ?? '' }));
    const now = (this.deps.now ?? (() => new Date()))();
    const entries: OutboxEntry[] = [];
    for (const s of subs) {
      const match = compileFilters(s.filters);
      const hits = events.filter((e) => match(e.record, e.policyName)).map((e) => e.record.id);
      if (hits.length === 0) continue;
      if (s.mode === 'instant') {
        for (const id of hits) entries.push({ subscriptionId: s.id, deliveryId: newDeliveryId(), kind: 'event', eventIds: [id] });
      } else {
        entries.push({ subscriptionId: s.id, deliveryId: newDeliveryId(), kind: 'digest', eventIds: hits, period: digestPeriod(s.mode, now) });
      }
    }
    const n = await this.deps.store.enqueue(tx, entries);
    if (n > 0) this.deps.log.info({ deliveries: n, events: live.length }, 'alerts queued');
  }
}
