import type { Database } from '../database.ts';
import type { PolicyStore, PollRunStore } from '../../core/stores.ts';
import type { EventStore } from '../../core/events.ts';
import { PrismaPolicyStore } from './policy-store.ts';
import { PrismaPollRunStore } from './poll-run-store.ts';
import { PrismaEventStore } from './event-store.ts';

export interface Stores {
  policies: PolicyStore;
  pollRuns: PollRunStore;
  events: EventStore;
}

export function createStores(db: Database): Stores {
  return { policies: new PrismaPolicyStore(db.prisma), pollRuns: new PrismaPollRunStore(db.prisma), events: new PrismaEventStore(db.prisma) };
}
