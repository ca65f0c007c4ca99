// In-memory ApiKeyStore (Unleash style): ApiKeyService tests run against it without a database.
// It holds exactly what the Prisma store persists, so a test can check no plain key is kept.
import type { ApiKeyRow, ApiKeyStore, NewApiKey } from '../../src/core/api-keys.ts';

export interface FakeApiKeyRecord extends ApiKeyRow {
  keyHash: string;
}

export class FakeApiKeyStore implements ApiKeyStore {
  readonly records: FakeApiKeyRecord[] = [];
  readonly touches: { id: string; at: Date }[] = [];
  private nextId = 1;

  async create(k: NewApiKey) {
    const rec: FakeApiKeyRecord = {
      id: String(this.nextId++), name: k.name, role: k.role, prefix: k.prefix, keyHash: k.keyHash,
      createdAt: new Date(), lastUsedAt: null, revokedAt: null,
    };
    this.records.push(rec);
    return strip(rec);
  }

  async findActiveByHash(keyHash: string) {
    const rec = this.records.find((r) => r.keyHash === keyHash && r.revokedAt === null);
    return rec ? strip(rec) : null;
  }

  async list() {
    return this.records.map(strip);
  }

  async revoke(id: string, at: Date) {
    const rec = this.records.find((r) => r.id === id);
    if (!rec) return null;
    rec.revokedAt ??= at;
    return strip(rec);
  }

  async touch(id: string, at: Date) {
    this.touches.push({ id, at });
    const rec = this.records.find((r) => r.id === id);
    if (rec) rec.lastUsedAt = at;
  }
}

function strip({ keyHash: _h, ...row }: FakeApiKeyRecord): ApiKeyRow {
  return { ...row };
}
