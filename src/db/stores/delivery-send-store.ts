// The dispatcher's hot path in raw SQL: reading a delivery with its subscription, and recording
// an attempt. Every delivery pays for both, and on a loaded machine each round trip costs more
// CPU (socket writes that wake Postgres, its parse and plan) than the send itself, so calls are
// grouped (`coalesced`): the deliveries of one queue batch are read in one statement, and the
// attempts that finish while a write is in flight are recorded together in the next one.
import type { AttemptOutcome, Delivery, DeliverySendStore, Subscription } from '../../core/alerts.ts';
import { coalesced } from '../../core/concurrency.ts';
import type { SqlRunner } from '../database.ts';

type Row = Delivery & { s: Omit<Subscription, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string } };
type ToSend = { delivery: Delivery; subscription: Subscription };

export class SqlDeliverySendStore implements DeliverySendStore {
  constructor(private readonly sql: SqlRunner) {}

  private readonly read = coalesced(async (ids: string[]): Promise<(ToSend | null)[]> => {
    const rows = await this.sql.query<Row>(
      `SELECT d.id, d.subscription_id AS "subscriptionId", d.kind, d.event_ids AS "eventIds", d.period_start AS "periodStart", d.status,
         d.attempts, d.last_error AS "lastError", d.last_attempt_at AS "lastAttemptAt", d.next_attempt_at AS "nextAttemptAt",
         d.delivered_at AS "deliveredAt", d.created_at AS "createdAt",
         json_build_object('id', s.id, 'name', s.name, 'kind', s.kind, 'url', s.url, 'secret', s.secret, 'filters', s.filters, 'mode', s.mode,
           'enabled', s.enabled, 'disabledReason', s.disabled_reason, 'goneCount', s.gone_count, 'createdAt', s.created_at, 'updatedAt', s.updated_at) AS s
       FROM alert_deliveries d JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = ANY($1::text[])`,
      [ids],
    );
    const byId = new Map<string, ToSend>();
    for (const { s, ...delivery } of rows) {
      byId.set(delivery.id, { delivery: { ...delivery, eventIds: delivery.eventIds ?? [] }, subscription: { ...s, createdAt: new Date(s.createdAt), updatedAt: new Date(s.updatedAt) } });
    }
    return ids.map((id) => byId.get(id) ?? null);
  });

  private readonly write = coalesced(async (attempts: { id: string; o: AttemptOutcome; at: Date }[]) => {
    const rows = attempts.map(({ id, o, at }) => ({
      id, at, status: o.ok ? 'delivered' : o.final ? 'dead' : 'retrying', error: o.ok ? null : o.error, next: o.ok || o.final ? null : o.retryAt,
    }));
    await this.sql.query(
      `UPDATE alert_deliveries d SET attempts = d.attempts + 1, last_attempt_at = v.at, status = v.status, last_error = v.error, next_attempt_at = v.next,
         delivered_at = CASE WHEN v.status = 'delivered' THEN v.at ELSE d.delivered_at END
       FROM json_to_recordset($1::json) AS v(id text, at timestamptz, status text, error text, next timestamptz)
       WHERE d.id = v.id AND d.id = ANY($2::text[])`,
      // The ids again as an array: the planner guesses 100 rows for json_to_recordset and would
      // join it to a sequential scan of every delivery; = ANY makes it look the rows up by key.
      [JSON.stringify(rows), attempts.map((a) => a.id)],
    );
    return attempts.map(() => undefined);
  }, { key: (a) => a.id });

  deliveryToSend(id: string) {
    return this.read(id);
  }

  recordAttempt(id: string, o: AttemptOutcome, at: Date) {
    return this.write({ id, o, at });
  }
}
