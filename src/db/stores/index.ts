import type { Database } from '../database.ts';
import type { PolicyStore, PollRunStore } from '../../core/stores.ts';
import type { EventStore } from '../../core/events.ts';
import type { DocHistoryStore } from '../../core/doc-history.ts';
import { PrismaPolicyStore } from './policy-store.ts';
import { PrismaPollRunStore } from './poll-run-store.ts';
import { PrismaEventStore } from './event-store.ts';
import { PrismaDocHistoryStore } from './doc-history-store.ts';
import { PrismaSubscriptionStore } from './subscription-store.ts';
import type { SubscriptionStore } from '../../core/alerts.ts';

export interface Stores {
  policies: PolicyStore;
  pollRuns: PollRunStore;
  events: EventStore;
  docHistory: DocHistoryStore;
  subscriptions: SubscriptionStore;
}

export function createStores(db: Database): Stores {
  return {
    policies: new PrismaPolicyStore(db.prisma, db.sql), pollRuns: new PrismaPollRunStore(db.prisma), events: new PrismaEventStore(db.prisma, db.sql),
    docHistory: new PrismaDocHistoryStore(db.prisma), subscriptions: new PrismaSubscriptionStore(db.prisma),
  };
}
