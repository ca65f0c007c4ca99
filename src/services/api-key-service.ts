// API keys: creation (the key is returned once and only its hash is stored), listing,
// revocation, and turning a presented bearer token into a Principal.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ROLES, type ApiKeyRow, type ApiKeyStore, type Principal, type Role } from '../core/api-keys.ts';
import { BadRequestError, NotFoundError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

export const KEY_PREFIX = 'pw_';
/** Characters of a key kept in clear (pw_ + 5) so an operator can tell keys apart. */
const SHOWN = KEY_PREFIX.length + 5;
/** A bearer token longer than this is no key of ours; refused before any hashing or lookup. */
const MAX_TOKEN_LENGTH = 512;
/** last_used_at is written at most this often per key: not one database write per request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * SHA-256, unsalted, is the right hash here: our keys are 32 random bytes (256 bits), so there
 * is no dictionary to try and no brute force that could finish; slow salted hashes (bcrypt,
 * argon2) exist for low-entropy passwords. A deterministic fast hash also lets every request
 * find its key by an indexed lookup instead of comparing against every stored key.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface ApiKeyServiceDeps {
  store: ApiKeyStore;
  log: Logger;
  /** POLICYWATCH_ADMIN_API_KEY: an admin key that lives only in the environment. */
  bootstrapAdminKey?: string | undefined;
  now?: () => Date;
}

export class ApiKeyService {
  private readonly bootstrapDigest: Buffer | undefined;
  private readonly touched = new Map<string, number>();

  constructor(private readonly deps: ApiKeyServiceDeps) {
    // Only the digest is kept: the comparison below runs over equal-length digests.
    this.bootstrapDigest = deps.bootstrapAdminKey ? createHash('sha256').update(deps.bootstrapAdminKey, 'utf8').digest() : undefined;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** A new key; `key` is returned here and never again. */
  async create(input: { role: string; name?: string | undefined }): Promise<{ key: string; apiKey: ApiKeyRow }> {
    if (!(ROLES as readonly string[]).includes(input.role)) throw new BadRequestError('INVALID_ROLE', `role must be one of ${ROLES.join(', ')}, got "${input.role}"`);
    const role = input.role as Role;
    const name = (input.name ?? `${role} key`).trim();
    // eslint-disable-next-line no-control-regex
    if (name.length === 0 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new BadRequestError('INVALID_NAME', 'name must be 1 to 100 characters without control characters');
    }
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiKey = await this.deps.store.create({ name, role, keyHash: hashKey(key), prefix: key.slice(0, SHOWN) });
    return { key, apiKey };
  }

  list(): Promise<ApiKeyRow[]> {
    return this.deps.store.list();
  }

  async revoke(id: string): Promise<ApiKeyRow> {
    const row = await this.deps.store.revoke(id, this.now());
    if (!row) throw new NotFoundError(`API key ${id}`, { id });
    return row;
  }

  /** The principal a bearer token stands for, or null when it is no valid, unrevoked key. */
  async authenticate(token: string): Promise<Principal | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    if (this.bootstrapDigest) {
      const digest = createHash('sha256').update(token, 'utf8').digest();
      // Constant time: the comparison must not tell an attacker how much of the key matched.
      if (timingSafeEqual(digest, this.bootstrapDigest)) return { keyId: 'env', name: 'POLICYWATCH_ADMIN_API_KEY', role: 'admin' };
    }
    if (!token.startsWith(KEY_PREFIX)) return null;
    const row = await this.deps.store.findActiveByHash(hashKey(token));
    if (!row) return null;
    this.touch(row.id);
    return { keyId: row.id, name: row.name, role: row.role };
  }

  private touch(id: string): void {
    const at = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && at.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(id, at.getTime());
    // Best effort, off the request's path: a failed write only leaves last_used_at older.
    this.deps.store.touch(id, at).catch((err: unknown) => this.deps.log.warn({ err, keyId: id }, 'recording API key use failed'));
  }
}
