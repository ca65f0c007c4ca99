// What a poll run records about a failure: our own short code and message. An IAM error keeps
// IAM's code and text (what the operator needs), except the socket text of a network failure;
// anything else — a database or driver error above all — is recorded by kind only, its text
// going to the log alone.
import type { PollError } from '../core/stores.ts';
import { AppError } from '../core/errors.ts';
import { LockLostError } from '../core/fence.ts';
import { isDatabaseUnavailable } from '../core/unavailable.ts';

type Where = Pick<PollError, 'policy' | 'versionId' | 'feed'>;

interface IamErrorShape {
  name: string;
  code: string;
  operation?: unknown;
  message: string;
}

const isIamError = (e: unknown): e is IamErrorShape => e instanceof Error && e.name === 'IamSourceError' && typeof (e as { code?: unknown }).code === 'string';
/** Errors the services raise themselves, with an UPPER_SNAKE code and a message of ours. */
function isOwnError(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error) || e.name.startsWith('Prisma')) return false;
  const code: unknown = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z_]+$/.test(code);
}

export function pollErrorOf(err: unknown, where: Where = {}): PollError {
  if (err instanceof LockLostError || err instanceof AppError) return { ...where, code: err.code, message: err.message };
  if (isIamError(err)) {
    const message = err.code === 'NetworkError' ? `${String(err.operation ?? 'IAM')}: the IAM endpoint could not be reached` : err.message;
    return { ...where, code: err.code, message };
  }
  if (isDatabaseUnavailable(err)) return { ...where, code: 'DATABASE_UNAVAILABLE', message: 'the database could not be reached or timed out' };
  if (isOwnError(err)) return { ...where, code: err.code, message: err.message };
  return { ...where, code: 'INTERNAL', message: 'unexpected error (details in the log)' };
}
