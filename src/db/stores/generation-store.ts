// The data generation counter. Raw SQL on the shared pool: it is read for most API requests, and
// one indexed single-row read through the ORM would cost more than the rest of a cached answer.
import type { GenerationStore } from '../../core/generation.ts';
import type { SqlRunner } from '../database.ts';

export class SqlGenerationStore implements GenerationStore {
  constructor(private readonly sql: SqlRunner) {}

  async read(): Promise<string> {
    const [row] = await this.sql.query<{ g: string }>('SELECT generation::text AS g FROM data_generation WHERE id = 1');
    if (!row) throw new Error('data_generation has no row; run the migrations');
    return row.g;
  }
}
