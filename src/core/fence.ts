// Fencing for work done under a session advisory lock: the lock lasts as long as its database
// session, so the holder proves the session alive before each write batch and stops when it is not.

export interface LockLease {
  /** Throws LockLostError when the session holding the lock is gone or does not answer. */
  assertHeld(): Promise<void>;
}

export class LockLostError extends Error {
  readonly code = 'LOST_LOCK';
  constructor(options?: { cause?: unknown }) {
    super('the advisory lock\'s database session ended; another process may hold the lock now', options);
    this.name = 'LockLostError';
  }
}
