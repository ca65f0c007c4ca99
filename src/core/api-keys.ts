// API keys: roles, the stored record (never the key itself) and the store interface services
// talk to. Nothing here knows about Prisma or HTTP.

export const ROLES = ['admin', 'read'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs: `public` is open even when POLICYWATCH_REQUIRE_API_KEY=on. */
export const ROUTE_ACCESS_LEVELS = ['admin', 'read', 'public'] as const;
export type Access = (typeof ROUTE_ACCESS_LEVELS)[number];

export interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  /** The key's first characters (e.g. "pw_AbC1"), to tell keys apart in listings. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  name: string;
  role: Role;
  /** Hex SHA-256 of the key. */
  keyHash: string;
  prefix: string;
}

/** Who a request is: a stored key, or the bootstrap admin key from the environment. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export interface ApiKeyStore {
  create(k: NewApiKey): Promise<ApiKeyRow>;
  /** The key with this hash if it exists and is not revoked. */
  findActiveByHash(keyHash: string): Promise<ApiKeyRow | null>;
  list(): Promise<ApiKeyRow[]>;
  /** Sets revoked_at; null when no key has this id, the row as it is when already revoked. */
  revoke(id: string, at: Date): Promise<ApiKeyRow | null>;
  touch(id: string, at: Date): Promise<void>;
}

/** An admin role can do anything a read role can. */
export function roleAllows(role: Role, needed: Exclude<Access, 'public'>): boolean {
  return role === 'admin' || needed === 'read';
}
