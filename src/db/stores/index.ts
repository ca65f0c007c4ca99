import type { Database } from '../database.ts';
import type { ImportCursorStore, PolicyStore, PollRunStore } from '../../core/stores.ts';
import type { EventStore } from '../../core/events.ts';
import type { DocHistoryStore } from '../../core/doc-history.ts';
import type { GenerationStore } from '../../core/generation.ts';
import { PrismaPolicyStore } from './policy-store.ts';
import { PrismaPollRunStore } from './poll-run-store.ts';
import { PrismaEventStore } from './event-store.ts';
import { PrismaDocHistoryStore } from './doc-history-store.ts';
import type { ApiKeyStore } from '../../core/api-keys.ts';
import { PrismaApiKeyStore } from './api-key-store.ts';
import { SqlStatsStore } from './stats-store.ts';
import type { StatsStore } from '../../core/stats.ts';
import { SqlGenerationStore } from './generation-store.ts';
import { PrismaImportCursorStore } from './import-cursor-store.ts';
import { PrismaSubscriptionStore } from './subscription-store.ts';
import type { SubscriptionStore } from '../../core/alerts.ts';

export interface Stores {
  policies: PolicyStore;
  pollRuns: PollRunStore;
  events: EventStore;
  docHistory: DocHistoryStore;
  apiKeys: ApiKeyStore;
  stats: StatsStore;
  generation: GenerationStore;
  importCursors: ImportCursorStore;
  subscriptions: SubscriptionStore;
}

export function createStores(db: Database): Stores {
  return {
    policies: new PrismaPolicyStore(db.prisma, db.sql), pollRuns: new PrismaPollRunStore(db.prisma), events: new PrismaEventStore(db.prisma, db.sql),
    docHistory: new PrismaDocHistoryStore(db.prisma),
    apiKeys: new PrismaApiKeyStore(db.prisma),
    stats: new SqlStatsStore(db.sql),
    generation: new SqlGenerationStore(db.sql),
    importCursors: new PrismaImportCursorStore(db.prisma),
    subscriptions: new PrismaSubscriptionStore(db.prisma),
  };
}
