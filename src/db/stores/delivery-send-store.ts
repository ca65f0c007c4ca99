// The dispatcher's hot path in raw SQL: one statement to read a delivery with its subscription,
// one to record an attempt. Every delivery pays for these, and the ORM's extra round trips and
// interpretation were the largest cost of a send (bench/README.md).
import type { AttemptOutcome, Delivery, DeliverySendStore, Subscription } from '../../core/alerts.ts';
import type { SqlRunner } from '../database.ts';

type Row = Delivery & { s: Omit<Subscription, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string } };

export class SqlDeliverySendStore implements DeliverySendStore {
  constructor(private readonly sql: SqlRunner) {}

  async deliveryToSend(id: string) {
    const [r] = await this.sql.query<Row>(
      `SELECT d.id, d.subscription_id AS "subscriptionId", d.kind, d.event_ids AS "eventIds", d.period_start AS "periodStart", d.status,
         d.attempts, d.last_error AS "lastError", d.last_attempt_at AS "lastAttemptAt", d.next_attempt_at AS "nextAttemptAt",
         d.delivered_at AS "deliveredAt", d.created_at AS "createdAt",
         json_build_object('id', s.id, 'name', s.name, 'kind', s.kind, 'url', s.url, 'secret', s.secret, 'filters', s.filters, 'mode', s.mode,
           'enabled', s.enabled, 'disabledReason', s.disabled_reason, 'goneCount', s.gone_count, 'createdAt', s.created_at, 'updatedAt', s.updated_at) AS s
       FROM alert_deliveries d JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = $1`,
      [id],
    );
    if (!r) return null;
    const { s, ...delivery } = r;
    return { delivery: { ...delivery, eventIds: delivery.eventIds ?? [] }, subscription: { ...s, createdAt: new Date(s.createdAt), updatedAt: new Date(s.updatedAt) } };
  }

  async recordAttempt(id: string, o: AttemptOutcome, at: Date) {
    await this.sql.query(
      `UPDATE alert_deliveries SET attempts = attempts + 1, last_attempt_at = $2, status = $3, last_error = $4, next_attempt_at = $5,
         delivered_at = CASE WHEN $3 = 'delivered' THEN $2 ELSE delivered_at END
       WHERE id = $1`,
      [id, at, o.ok ? 'delivered' : o.final ? 'dead' : 'retrying', o.ok ? null : o.error, o.ok || o.final ? null : o.retryAt],
    );
  }
}
