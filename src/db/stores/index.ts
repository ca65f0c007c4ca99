import type { Database } from '../database.ts';
import type { PolicyStore, PollRunStore } from '../../core/stores.ts';
import { PrismaPolicyStore } from './policy-store.ts';
import { PrismaPollRunStore } from './poll-run-store.ts';

export interface Stores {
  policies: PolicyStore;
  pollRuns: PollRunStore;
}

export function createStores(db: Database): Stores {
  return { policies: new PrismaPolicyStore(db.prisma), pollRuns: new PrismaPollRunStore(db.prisma) };
}
