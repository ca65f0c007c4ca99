// The alert side of the event-storing transaction (raw SQL on that transaction's connection):
// read the subscriptions that may alert, write the deliveries, queue their jobs. Everything here
// commits or rolls back with the events, so a crash can neither lose nor invent an alert.
import type { AlertOutboxStore, DeliveryQueue, OutboxEntry, Subscription, Transaction } from '../../core/alerts.ts';
import { runnerOf } from '../transaction.ts';

interface SubscriptionRow {
  id: string; name: string; kind: Subscription['kind']; url: string; secret: string | null; filters: Subscription['filters'];
  mode: Subscription['mode']; enabled: boolean; disabledReason: string | null; goneCount: number; createdAt: Date; updatedAt: Date;
}

export class SqlAlertOutboxStore implements AlertOutboxStore {
  constructor(private readonly queue: DeliveryQueue) {}

  async activeSubscriptions(tx: Transaction): Promise<Subscription[]> {
    // created_at < now(): now() is the transaction's start, so a subscription created while the
    // events were being computed does not see them.
    return runnerOf(tx).query<SubscriptionRow>(
      `SELECT id, name, kind, url, secret, filters, mode, enabled, disabled_reason AS "disabledReason", gone_count AS "goneCount",
         created_at AS "createdAt", updated_at AS "updatedAt"
       FROM subscriptions WHERE enabled AND created_at < now() ORDER BY id`,
    );
  }

  async policyNames(tx: Transaction, policyIds: number[]): Promise<Map<number, string>> {
    const rows = await runnerOf(tx).query<{ id: number; name: string }>('SELECT id, name FROM policies WHERE id = ANY($1::int[])', [policyIds]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async enqueue(tx: Transaction, entries: OutboxEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const sql = runnerOf(tx);
    const jobs: { deliveryId: string; startAfter?: Date }[] = [];
    const instant = entries.filter((e) => e.kind === 'event');
    if (instant.length > 0) {
      await sql.query(
        `INSERT INTO alert_deliveries (id, subscription_id, kind, event_ids, status)
         SELECT x.id, x.s, 'event', x.e, 'pending' FROM jsonb_to_recordset($1::jsonb) AS x(id text, s text, e text[])`,
        [JSON.stringify(instant.map((e) => ({ id: e.deliveryId, s: e.subscriptionId, e: e.eventIds })))],
      );
      jobs.push(...instant.map((e) => ({ deliveryId: e.deliveryId })));
    }
    for (const d of entries.filter((e) => e.kind === 'digest')) {
      if (!d.period) continue;
      // One delivery per (subscription, period): later events join it; only its first insert
      // queues the job, which starts when the period ends.
      const rows = await sql.query<{ id: string; inserted: boolean }>(
        `INSERT INTO alert_deliveries (id, subscription_id, kind, event_ids, period_start, status, next_attempt_at)
         VALUES ($1, $2, 'digest', $3::text[], $4, 'collecting', $5)
         ON CONFLICT (subscription_id, period_start) DO UPDATE
           SET event_ids = (SELECT array_agg(DISTINCT x) FROM unnest(alert_deliveries.event_ids || EXCLUDED.event_ids) AS x)
         RETURNING id, (xmax = 0) AS inserted`,
        [d.deliveryId, d.subscriptionId, d.eventIds, d.period.start, d.period.end],
      );
      const row = rows[0];
      if (row?.inserted) jobs.push({ deliveryId: row.id, startAfter: d.period.end });
    }
    await this.queue.sendInTransaction(tx, jobs);
    return entries.length;
  }
}
