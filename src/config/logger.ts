import type { LoggerOptions } from 'pino';
import type { Config } from './env.ts';

export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    // Credentials must never reach a log line, whatever object gets logged.
    redact: { paths: ['req.headers.authorization', '*.secretAccessKey', '*.sessionToken', 'headers.authorization'], censor: '[redacted]' },
  };
}
