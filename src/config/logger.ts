import type { LoggerOptions } from 'pino';
import type { Config } from './env.ts';

/**
 * Paths pino censors in every line, whatever object gets logged: credentials (Authorization and
 * cookie headers, API keys, AWS secrets, webhook secrets) and URLs that carry a secret in
 * themselves (webhook URLs, the database URL with its password). `*` matches one level, so both
 * `log.info({ apiKey })` and `log.info({ key: { apiKey } })` are covered.
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie',
  'authorization', '*.authorization',
  'apiKey', '*.apiKey', 'adminApiKey', '*.adminApiKey', 'token', '*.token', 'bearer', '*.bearer',
  'secret', '*.secret', 'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken',
  'webhookUrl', '*.webhookUrl', 'webhookSecret', '*.webhookSecret', 'webhook.url', '*.webhook.url', 'webhook.secret', '*.webhook.secret',
  'databaseUrl', '*.databaseUrl',
];

/** One-shot CLI commands: warnings and worse unless a quieter or louder level was asked for, redacted alike. */
export function commandLoggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return loggerOptions({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
}

export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    // Credentials must never reach a log line, whatever object gets logged.
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}
