import type { ApiKeyRow, ApiKeyStore, NewApiKey, Role } from '../../core/api-keys.ts';
import type { PrismaClient } from '../generated/client.ts';

type Row = Awaited<ReturnType<PrismaClient['apiKey']['create']>>;

const toRow = (r: Row): ApiKeyRow => ({
  id: r.id.toString(), name: r.name, role: r.role as Role, prefix: r.keyPrefix,
  createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, revokedAt: r.revokedAt,
});

/** Ids are BIGSERIAL; anything else cannot name a key (and must not reach BigInt()). */
const ID = /^[1-9][0-9]{0,18}$/;

export class PrismaApiKeyStore implements ApiKeyStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(k: NewApiKey) {
    return toRow(await this.prisma.apiKey.create({ data: { name: k.name, role: k.role, keyHash: k.keyHash, keyPrefix: k.prefix } }));
  }

  async findActiveByHash(keyHash: string) {
    const r = await this.prisma.apiKey.findFirst({ where: { keyHash, revokedAt: null } });
    return r ? toRow(r) : null;
  }

  async list() {
    return (await this.prisma.apiKey.findMany({ orderBy: { id: 'asc' } })).map(toRow);
  }

  async revoke(id: string, at: Date) {
    if (!ID.test(id) || BigInt(id) > 9223372036854775807n) return null;
    await this.prisma.apiKey.updateMany({ where: { id: BigInt(id), revokedAt: null }, data: { revokedAt: at } });
    const r = await this.prisma.apiKey.findUnique({ where: { id: BigInt(id) } });
    return r ? toRow(r) : null;
  }

  async touch(id: string, at: Date) {
    await this.prisma.apiKey.updateMany({ where: { id: BigInt(id) }, data: { lastUsedAt: at } });
  }
}
