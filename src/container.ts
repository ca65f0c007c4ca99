// The one composition root: stores, sources and services wired together. The HTTP app, the
// worker and the CLI all build their services here.
import type { Logger } from './core/logger.ts';
import type { Config } from './config/env.ts';
import type { IamSource } from './core/iam.ts';
import type { Database } from './db/database.ts';
import { createStores, type Stores } from './db/stores/index.ts';
import { AwsIamSource } from './sources/iam/aws-iam-source.ts';
import { IamPollService } from './services/iam-poll-service.ts';
import { ImportService } from './services/import-service.ts';
import { PolicyService } from './services/policy-service.ts';
import { EventService } from './services/event-service.ts';
import { ChangeService } from './services/change-service.ts';
import { DocHistoryService } from './services/doc-history-service.ts';
import { loadCatalog } from './sources/catalog.ts';
import { ApiKeyService } from './services/api-key-service.ts';
import { ReadinessService } from './services/readiness-service.ts';
import { IngestPipeline } from './services/ingest-pipeline.ts';
import type { AlertHttp, DeliveryQueue } from './core/alerts.ts';
import { PgBossDeliveryQueue } from './db/alert-queue.ts';
import { SqlAlertOutboxStore } from './db/stores/alert-outbox-store.ts';
import { SqlDeliverySendStore } from './db/stores/delivery-send-store.ts';
import { AlertOutbox } from './services/alerts/outbox.ts';
import { Dispatcher, eventLoader } from './services/alerts/dispatcher.ts';
import { SubscriptionService } from './services/alerts/subscription-service.ts';
import { guardedAlertHttp } from './alerts/http.ts';
import { publicBaseUrl } from './config/public-url.ts';
import { createOutboundClient, type OutboundClient, type Resolver } from './sources/outbound/index.ts';
import { StatsService } from './services/stats-service.ts';
import { DataGeneration } from './services/generation.ts';

export interface Services {
  config: Config;
  db: Database;
  stores: Stores;
  iam: IamSource;
  policies: PolicyService;
  iamPoll: IamPollService;
  importer: ImportService;
  events: EventService;
  changes: ChangeService;
  docHistory: DocHistoryService;
  apiKeys: ApiKeyService;
  readiness: ReadinessService;
  pipeline: IngestPipeline;
  /** dispatch(): this process starts sending deliveries (worker processes). */
  /** close(): the alert sends' connections, after the queue has stopped. */
  alerts: { queue: DeliveryQueue; subscriptions: SubscriptionService; dispatcher: Dispatcher; dispatch(): Promise<void>; close(): Promise<void> };
  /** The outbound-URL guard; closed with the app. */
  outbound: OutboundClient;
  stats: StatsService;
  /** The data generation, read for response caching and in-memory read models. */
  generation: DataGeneration;
}

export interface ContainerOptions {
  config: Config;
  db: Database;
  log: Logger;
  /** Injected in tests (the SDK client pointed at the fake endpoint). */
  iam?: IamSource;
  /** Injected in benchmarks; otherwise the outbound-URL guard's client. */
  alertHttp?: AlertHttp;
  /** Host-name resolver of the outbound guard (tests map names; default: the system's). */
  resolver?: Resolver | undefined;
}

export function createServices(o: ContainerOptions): Services {
  const stores = createStores(o.db);
  // POLICYWATCH_FEED_ALLOW_INTERNAL is the older name of POLICYWATCH_ALLOW_PRIVATE_URLS.
  const outboundPolicy = { allowPrivate: o.config.allowPrivateUrls || o.config.feedAllowInternal, admit: o.config.allowUrlCidrs, resolver: o.resolver };
  const outbound = createOutboundClient(outboundPolicy);
  const iam = o.iam ?? new AwsIamSource();
  const policies = new PolicyService({ policies: stores.policies, runs: stores.pollRuns });
  const events = new EventService({ events: stores.events, catalog: loadCatalog, log: o.log.child({ component: 'events' }) });
  const docHistory = new DocHistoryService({
    store: stores.docHistory, runs: stores.pollRuns, log: o.log.child({ component: 'doc-history' }), configuredFeeds: o.config.rssFeeds,
    windowDays: o.config.docWindowDays, http: outbound, maxFeeds: o.config.maxFeeds,
  });
  const alertLog = o.log.child({ component: 'alerts' });
  const queue = PgBossDeliveryQueue.create(o.db, {
    retryLimit: o.config.alertRetries, retryDelaySeconds: o.config.alertRetryDelaySeconds, retryDelayMaxSeconds: o.config.alertRetryDelayMaxSeconds,
    sendTimeoutMs: o.config.alertTimeoutMs, concurrency: o.config.alertConcurrency,
  }, alertLog);
  const outbox = new AlertOutbox({ store: new SqlAlertOutboxStore(queue), log: alertLog });
  const pipeline = new IngestPipeline({ events, docHistory, outbox });
  const iamPoll = new IamPollService({
    iam, policies: stores.policies, runs: stores.pollRuns, log: o.log.child({ component: 'iam-poll' }),
    concurrency: o.config.iamConcurrency, hooks: { policiesChanged: pipeline.livePoll },
  });
  const importer = new ImportService({
    policies: stores.policies, log: o.log.child({ component: 'import' }),
    events: {
      firstSeen: () => events.firstSeenBuffer(), policiesChanged: pipeline.imported,
      // Missing events are computed through the outbox: only IAM-sourced ones (a crashed live
      // poll's) can alert there, never the import's own.
      reconcile: (signal) => pipeline.reconcile(signal),
    },
  });
  const generation = new DataGeneration(stores.generation);
  const changes = new ChangeService({
    events: stores.events, policies: stores.policies, catalog: loadCatalog, docRefs: (ids) => docHistory.docRefsForEvents(ids),
    generation: () => generation.current(),
  });
  const apiKeys = new ApiKeyService({ store: stores.apiKeys, log: o.log.child({ component: 'api-keys' }), bootstrapAdminKey: o.config.adminApiKey });
  const stats = new StatsService({ stats: stores.stats, runs: stores.pollRuns });
  const readiness = new ReadinessService({
    runs: stores.pollRuns, enabled: { iam: o.config.pollCron !== null, rss: o.config.rssCron !== null }, maxAgeSeconds: o.config.readyMaxPollAgeSeconds,
  });
  // The alerts' own client (closed with the app): the shared guard's policy, plus plain http to
  // private targets only.
  const alertOutbound = createOutboundClient({ ...outboundPolicy, httpPrivateOnly: true });
  const alertHttp = o.alertHttp ?? guardedAlertHttp(alertOutbound);
  const subscriptions = new SubscriptionService({ store: stores.subscriptions, queue, http: alertHttp, log: alertLog });
  const dispatcher = new Dispatcher({
    store: stores.subscriptions, sends: new SqlDeliverySendStore(o.db.sql), http: alertHttp, log: alertLog,
    events: eventLoader((id) => changes.get(id), (es) => changes.present(es)),
    options: { sendTimeoutMs: o.config.alertTimeoutMs, goneLimit: o.config.alertGoneLimit, publicUrl: publicBaseUrl(o.config) },
  });
  return {
    config: o.config, db: o.db, stores, iam, policies, iamPoll, importer, events, changes, docHistory, pipeline,
    outbound, apiKeys, stats, generation, readiness,
    alerts: {
      queue, subscriptions, dispatcher,
      dispatch: () => queue.work((job) => dispatcher.handle(job), (id, error) => stores.subscriptions.markDead(id, error)),
      close: () => alertOutbound.close(),
    },
  };
}
