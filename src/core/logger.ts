// The logging surface services use: pino's methods, satisfied by pino and by Fastify's logger.
import type { LogFn } from 'pino';

export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}
