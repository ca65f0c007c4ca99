// Prisma implementation of ImportCursorStore: the last commit of a git history imported completely.
import type { ImportCursorStore } from '../../core/stores.ts';
import type { PrismaClient } from '../generated/client.ts';

export class PrismaImportCursorStore implements ImportCursorStore {
  constructor(private readonly prisma: PrismaClient) {}

  async get(key: string): Promise<string | null> {
    return (await this.prisma.importCursor.findUnique({ where: { key } }))?.commit ?? null;
  }

  async set(key: string, commit: string): Promise<void> {
    await this.prisma.importCursor.upsert({ where: { key }, create: { key, commit }, update: { commit, updatedAt: new Date() } });
  }
}
