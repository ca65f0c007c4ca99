// The opaque Transaction of core/alerts.ts is, inside src/db, the SqlRunner of an open
// transaction: stores that join another store's transaction unwrap it here.
import type { Transaction } from '../core/alerts.ts';
import type { SqlRunner } from './database.ts';

export const asTransaction = (sql: SqlRunner): Transaction => sql as unknown as Transaction;
export const runnerOf = (tx: Transaction): SqlRunner => tx as unknown as SqlRunner;
