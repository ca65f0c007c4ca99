// Ingest as one named pipeline, the same for the live IAM poll and for imports:
//
//   1. versions stored    the poll or import writes versions (PolicyStore), then calls here
//   2. events recomputed  EventService diffs the affected policies and syncs their events
//   3. outbox (alerts)    live polls only: inside step 2's transaction, the events it inserted
//                         are matched against subscriptions and their deliveries queued, so a
//                         crash can neither lose nor invent an alert
//   4. doc joins          new or recomputed events are joined with AWS's documentation history
//
// Step 3 runs within step 2 (same transaction) but is decided here: only the live poll passes the
// outbox, so imports, backfills, recomputations and date corrections never alert. Deliveries are
// rendered when sent, after step 4, so a joined documentation entry shows as AWS's stated reason.
import type { EventService, PoliciesChangedOptions } from './event-service.ts';
import type { DocHistoryService } from './doc-history-service.ts';
import type { AlertOutbox } from './alerts/outbox.ts';

export type IngestKind = 'live-poll' | 'import';

export class IngestPipeline {
  constructor(private readonly deps: { events: EventService; docHistory: DocHistoryService; outbox?: AlertOutbox | undefined }) {}

  /** Steps 2–4 for policies whose versions (or deprecation) step 1 just stored. */
  async policiesChanged(kind: IngestKind, ids: number[], signal?: AbortSignal, opts: PoliciesChangedOptions = {}) {
    const r = await this.deps.events.policiesChanged(ids, signal, { ...opts, ...this.outboxFor(kind) });
    if (ids.length > 0) await this.deps.docHistory.eventsChanged(signal);
    return r;
  }

  private outboxFor(kind: IngestKind): Pick<PoliciesChangedOptions, 'sync'> {
    const outbox = kind === 'live-poll' ? this.deps.outbox : undefined;
    return outbox ? { sync: { onInserted: (tx, inserted) => outbox.eventsInserted(tx, inserted) } } : {};
  }

  /**
   * Before each live poll: events a crashed run stored versions for but never computed. They go
   * through the outbox too; only IAM-sourced inserts alert there, i.e. exactly the changes the
   * crashed poll detected, so a crash between storing versions and events loses no alert either.
   */
  async reconcile(signal?: AbortSignal) {
    const r = await this.deps.events.reconcile(signal, this.outboxFor('live-poll'));
    if (r.written + r.deleted > 0) await this.deps.docHistory.eventsChanged(signal);
    return r;
  }

  /** The hook the IAM poll calls. */
  readonly livePoll = (ids: number[], signal?: AbortSignal, opts?: PoliciesChangedOptions) => this.policiesChanged('live-poll', ids, signal, opts);

  /** The hook imports and seeding call. */
  readonly imported = (ids: number[], signal?: AbortSignal, opts?: PoliciesChangedOptions) => this.policiesChanged('import', ids, signal, opts);
}
