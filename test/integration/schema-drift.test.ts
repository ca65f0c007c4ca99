// prisma/schema.prisma and the database our migrator builds must agree, as `prisma migrate diff`
// would check if the schema engine could run here: every model ↔ table, field ↔ column (type,
// nullability, default), @id/@unique/@@unique/@@index ↔ index, relation ↔ foreign key, and
// nothing extra. The checks iterate over whatever the schema holds, so new models are covered
// the moment they are added. Also: _prisma_migrations is exactly what `prisma migrate deploy`
// expects, re-running is a no-op, and edited or failing migrations are refused cleanly.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, TEST_DB_TIMEOUTS, type TestDb } from '../support/db.ts';
import { createEmptyDatabase } from '../support/pg-admin.ts';
import { REPO_DIR } from '../support/paths.ts';
import { parsePrismaSchema, type PrismaSchema } from '../support/prisma-schema.ts';
import {
  diffCatalogs, expectedCatalog, introspectCatalog, schemaFieldSummary, tableName, type CatalogShape,
} from '../support/schema-drift.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { loadMigrations, migrate, MigrationError, MIGRATIONS_DIR, type Migration } from '../../src/db/migrate.ts';

const SCHEMA_FILE = join(REPO_DIR, 'prisma', 'schema.prisma');
const GENERATED_CLASS = join(REPO_DIR, 'src', 'db', 'generated', 'internal', 'class.ts');
/** Key for a dedicated connection; no app code uses it. */
const INSPECT_LOCK = 0x7077746573740001n;
const BOOKKEEPING = ['_prisma_migrations'];

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const catalogOf = (db: Database) => db.withLock(INSPECT_LOCK, (sql) => introspectCatalog((q) => sql.query(q)));
const rawQuery = <T = Record<string, unknown>>(db: Database, q: string, params?: unknown[]) => db.withLock(INSPECT_LOCK, (sql) => sql.query<T>(q, params));

/** The migration folders on disk, independently of loadMigrations. */
function migrationFolders(): string[] {
  return readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** The runtime data model the generated client was built from (JSON inside class.ts). */
function generatedDataModel(): { models: Record<string, { dbName: string | null; fields: { name: string; kind: string; type: string; dbName?: string | null }[] }>; enums: Record<string, { values: { name: string; dbName: string | null }[]; dbName?: string | null }> } {
  const text = readFileSync(GENERATED_CLASS, 'utf8');
  const m = /config\.runtimeDataModel = JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(text);
  assert.ok(m, 'runtimeDataModel not found in the generated client; has the Prisma generator changed its output?');
  return JSON.parse(JSON.parse(m[1] as string) as string);
}

describe('schema.prisma ↔ migrated database', { timeout: 600_000 }, async () => {
  const cleanups: (() => Promise<void>)[] = [];
  test.after(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  });
  const fresh = async (backend: 'postgres' | 'pglite' = 'postgres'): Promise<TestDb> => {
    const t = await createTestDatabase(backend);
    cleanups.push(() => t.cleanup());
    return t;
  };

  const schema: PrismaSchema = parsePrismaSchema(readFileSync(SCHEMA_FILE, 'utf8'));
  const expected: CatalogShape = expectedCatalog(schema);
  const pg = await fresh('postgres');
  const actual = await catalogOf(pg.db);

  test('the schema reader agrees with the generated client (and the client is not stale)', () => {
    const gen = generatedDataModel();
    const ours = schemaFieldSummary(schema.models, schema.enums);
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(gen.models).sort(), 'models in schema.prisma vs the generated client: run `npm run generate`?');
    for (const [name, model] of Object.entries(gen.models)) {
      const mine = ours[name];
      assert.ok(mine);
      assert.equal(mine.dbName, model.dbName ?? null, `${name}: @@map`);
      const supported = mine.fields.filter((f) => f.kind !== 'unsupported');
      assert.deepEqual(
        supported.map((f) => ({ name: f.name, kind: f.kind, type: f.type, dbName: f.dbName })),
        model.fields.map((f) => ({ name: f.name, kind: f.kind, type: f.type, dbName: f.dbName ?? null })),
        `${name}: fields of schema.prisma vs the generated client`,
      );
    }
    assert.deepEqual(schema.enums.map((e) => e.name).sort(), Object.keys(gen.enums).sort());
    assert.ok(schema.models.length >= 3, 'the reader found the models');
  });

  test('every model is a table with exactly its columns, indexes, keys and foreign keys (Postgres)', () => {
    const problems = diffCatalogs(expected, actual, BOOKKEEPING);
    assert.deepEqual(problems, [], `schema.prisma and the migrations disagree:\n  ${problems.join('\n  ')}`);
    // Spot-check that the comparison really covered things (not an empty-vs-empty pass).
    for (const m of schema.models) assert.ok(actual.tables[tableName(m)], `table for ${m.name}`);
    assert.deepEqual(Object.keys(actual.tables).filter((t) => !expected.tables[t]).sort(), BOOKKEEPING, 'no tables besides the models and _prisma_migrations');
    assert.equal(actual.tables.policy_versions?.columns.document?.type, 'jsonb');
    assert.equal(actual.tables.policies?.columns.first_seen_at?.type, 'timestamp(3) with time zone');
    assert.deepEqual(actual.tables.policy_versions?.indexes.policy_versions_policy_id_version_id_key?.columns, ['policy_id', 'version_id']);
    assert.equal(actual.tables.policy_versions?.foreignKeys.policy_versions_policy_id_fkey?.onDelete, 'c');
  });

  test('PGlite migrates to the same catalog as Postgres', async () => {
    const lite = await fresh('pglite');
    const liteCatalog = await catalogOf(lite.db);
    assert.deepEqual(diffCatalogs(expected, liteCatalog, BOOKKEEPING), []);
    assert.deepEqual(liteCatalog, actual);
  });

  test('the comparison catches drift: a doctored database', async () => {
    const t = await fresh('postgres');
    const tables = Object.entries(expected.tables);
    const [tname, shape] = tables.find(([, s]) => Object.entries(s.columns).some(([, c]) => !c.nullable && c.default === null)) ?? assert.fail('no table with a required column');
    const [cname] = Object.entries(shape.columns).find(([, c]) => !c.nullable && c.default === null) as [string, unknown];
    const [itable, iname] = tables.flatMap(([tn, s]) => Object.entries(s.indexes).filter(([, i]) => !i.primary).map(([n]) => [tn, n] as const))[0] ?? assert.fail('no secondary index');
    const fk = tables.flatMap(([tn, s]) => Object.entries(s.foreignKeys).map(([n, f]) => ({ tn, n, f })))[0] ?? assert.fail('no foreign key');
    const q = (s: string) => `"${s}"`;
    await rawQuery(t.db, `ALTER TABLE ${q(tname)} ALTER COLUMN ${q(cname)} DROP NOT NULL`);
    await rawQuery(t.db, `ALTER TABLE ${q(tname)} ADD COLUMN pw_extra text`);
    await rawQuery(t.db, `DROP INDEX ${q(iname)}`);
    await rawQuery(t.db, `ALTER TABLE ${q(fk.tn)} DROP CONSTRAINT ${q(fk.n)}`);
    await rawQuery(t.db, `ALTER TABLE ${q(fk.tn)} ADD CONSTRAINT ${q(fk.n)} FOREIGN KEY (${fk.f.columns.map(q).join(', ')}) REFERENCES ${q(fk.f.refTable)} (${fk.f.refColumns.map(q).join(', ')}) ON DELETE NO ACTION`);
    await rawQuery(t.db, 'CREATE TABLE pw_stray (id int)');
    const problems = diffCatalogs(expected, await catalogOf(t.db), BOOKKEEPING);
    const expectOne = (re: RegExp) => assert.equal(problems.filter((p) => re.test(p)).length, 1, `${re} in\n  ${problems.join('\n  ')}`);
    expectOne(new RegExp(`^${tname}\\.${cname}: nullable in the database, schema says required$`));
    expectOne(new RegExp(`^${tname}\\.pw_extra: extra column`));
    expectOne(new RegExp(`^${itable}: .*index.* ${iname} missing$`));
    expectOne(new RegExp(`^${fk.tn}: foreign key ${fk.n} is .*"onDelete":"a"`));
    expectOne(/^extra table pw_stray/);
    assert.equal(problems.length, 5, problems.join('\n'));
  });

  test('the comparison catches drift: a doctored schema', () => {
    const doctored: PrismaSchema = structuredClone(schema);
    const optionalField = doctored.models.flatMap((m) => m.fields.filter((f) => f.optional && !doctored.models.some((x) => x.name === f.type)).map((f) => ({ m, f })))[0] ?? assert.fail('no optional scalar');
    optionalField.f.optional = false;
    const tz = doctored.models.flatMap((m) => m.fields.flatMap((f) => f.attributes.filter((a) => a.name === 'db.Timestamptz').map((a) => ({ m, f, a }))))[0] ?? assert.fail('no Timestamptz field');
    tz.a.args = [{ key: undefined, value: { kind: 'number', value: 6 } }];
    doctored.models.push(parsePrismaSchema('model PwProbe {\n  id Int @id\n  label String @unique\n  @@map("pw_probe")\n}\n').models[0] as PrismaSchema['models'][number]);
    const problems = diffCatalogs(expectedCatalog(doctored), actual, BOOKKEEPING);
    assert.ok(problems.some((p) => p.includes('nullable in the database, schema says required')), problems.join('\n'));
    assert.ok(problems.some((p) => /type timestamp\(3\) with time zone, schema says timestamp\(6\) with time zone/.test(p)), problems.join('\n'));
    assert.ok(problems.includes('table pw_probe: missing in the database'), problems.join('\n'));
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  test('the reader understands the constructs the schema uses (and refuses what it does not know)', () => {
    const s = parsePrismaSchema([
      'enum Status {', '  ACTIVE', '  GONE @map("gone")', '  @@map("status")', '}',
      'model A {',
      '  id    BigInt @id @default(autoincrement())',
      '  tags  String[] @default([])',
      '  st    Status @default(ACTIVE)',
      '  price Decimal @db.Decimal(10, 2)',
      '  at    DateTime @default(now()) @db.Timestamptz(6) // trailing comment',
      '  bs    B[]',
      '  @@index([at(sort: Desc), id], map: "a_recent")',
      '  @@map("a_table")',
      '}',
      'model B {',
      '  id  Int @id',
      '  aId BigInt? @map("a_id")',
      '  a   A? @relation(fields: [aId], references: [id])',
      '  @@unique([aId, id])',
      '}',
    ].join('\n'));
    const c = expectedCatalog(s);
    assert.deepEqual(c.enums, { status: ['ACTIVE', 'gone'] });
    assert.deepEqual(c.tables.a_table?.columns, {
      id: { type: 'bigint', nullable: false, default: 'nextval()' },
      tags: { type: 'text[]', nullable: true, default: 'ARRAY[]' },
      st: { type: 'status', nullable: false, default: 'ACTIVE' },
      price: { type: 'numeric(10,2)', nullable: false, default: null },
      at: { type: 'timestamp(6) with time zone', nullable: false, default: 'CURRENT_TIMESTAMP' },
    });
    assert.deepEqual(c.tables.a_table?.indexes.a_recent?.columns, ['at DESC', 'id']);
    assert.deepEqual(c.tables.B?.foreignKeys.B_a_id_fkey, { columns: ['a_id'], refTable: 'a_table', refColumns: ['id'], onDelete: 'n', onUpdate: 'c' });
    assert.ok(c.tables.B?.indexes.B_a_id_id_key?.unique);
    assert.throws(() => expectedCatalog(parsePrismaSchema('model X {\n  id Int @id\n  @@fulltext([id])\n}')), /@@fulltext is not handled/);
    assert.throws(() => parsePrismaSchema('view V {\n  id Int\n}'), /not handled/);
  });

  test('_prisma_migrations: one finished row per migration folder, checksum = SHA-256 of the file', async () => {
    const folders = migrationFolders();
    assert.ok(folders.length >= 1);
    for (const f of folders) assert.ok(existsSync(join(MIGRATIONS_DIR, f, 'migration.sql')), `${f}/migration.sql exists (prisma refuses a folder without one)`);
    const rows = await rawQuery<{ id: string; migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null; started_at: Date; applied_steps_count: number; logs: string | null }>(
      pg.db, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    assert.deepEqual(rows.map((r) => r.migration_name), folders);
    for (const r of rows) {
      assert.equal(r.checksum, sha256(readFileSync(join(MIGRATIONS_DIR, r.migration_name, 'migration.sql'))), `${r.migration_name} checksum`);
      assert.ok(r.finished_at instanceof Date, `${r.migration_name} finished_at set`);
      assert.ok(r.finished_at.getTime() >= r.started_at.getTime());
      assert.equal(r.rolled_back_at, null);
      assert.equal(r.applied_steps_count, 1);
      assert.equal(r.logs, null);
      assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.match(readFileSync(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8'), /^provider\s*=\s*"postgresql"\s*$/m);
    // The table itself has the shape Prisma creates, so `prisma migrate deploy` can adopt it.
    const t = actual.tables._prisma_migrations;
    assert.ok(t);
    assert.deepEqual(t.columns, {
      id: { type: 'character varying(36)', nullable: false, default: null },
      checksum: { type: 'character varying(64)', nullable: false, default: null },
      finished_at: { type: 'timestamp with time zone', nullable: true, default: null },
      migration_name: { type: 'character varying(255)', nullable: false, default: null },
      logs: { type: 'text', nullable: true, default: null },
      rolled_back_at: { type: 'timestamp with time zone', nullable: true, default: null },
      started_at: { type: 'timestamp with time zone', nullable: false, default: 'CURRENT_TIMESTAMP' },
      applied_steps_count: { type: 'integer', nullable: false, default: '0' },
    });
    assert.deepEqual(Object.values(t.indexes).map((i) => [i.primary, i.columns]), [[true, ['id']]]);
  });

  test('migrating an up-to-date database applies nothing and changes nothing', async () => {
    const before = await rawQuery(pg.db, 'SELECT id, checksum, finished_at FROM "_prisma_migrations" ORDER BY id');
    assert.deepEqual(await migrate(pg.db), []);
    assert.deepEqual(await migrate(pg.db, loadMigrations()), []);
    assert.deepEqual(await rawQuery(pg.db, 'SELECT id, checksum, finished_at FROM "_prisma_migrations" ORDER BY id'), before);
  });

  test('a migration edited after it was applied is refused with a MigrationError', async () => {
    const t = await fresh('postgres');
    const ms = loadMigrations();
    const target = ms[0] as Migration;
    const sql = `${target.sql}\n-- edited after release\n`;
    const doctored = ms.map((m) => (m === target ? { ...m, sql, checksum: sha256(sql) } : m));
    await assert.rejects(migrate(t.db, doctored), (err: unknown) => {
      assert.ok(err instanceof MigrationError, String(err));
      assert.equal(err.code, 'MIGRATION_FAILED');
      assert.match(err.message, new RegExp(`${target.name} was modified after it was applied \\(checksum mismatch\\)`));
      return true;
    });
    const [row] = await rawQuery<{ checksum: string; n: string }>(t.db, 'SELECT checksum, (SELECT count(*) FROM "_prisma_migrations") AS n FROM "_prisma_migrations" WHERE migration_name = $1', [target.name]);
    assert.equal(row?.checksum, target.checksum, 'the recorded checksum is untouched');
    assert.equal(Number(row?.n), ms.length);
  });

  test('a new migration is applied once and recorded; a failing one leaves nothing behind', async () => {
    const t = await fresh('postgres');
    const mk = (name: string, sql: string): Migration => ({ name, sql, checksum: sha256(sql) });
    const good = mk('99990101000000_probe', 'CREATE TABLE "pw_probe" ("id" INTEGER NOT NULL, CONSTRAINT "pw_probe_pkey" PRIMARY KEY ("id"));');
    assert.deepEqual(await migrate(t.db, [...loadMigrations(), good]), [good.name]);
    assert.deepEqual(await migrate(t.db, [...loadMigrations(), good]), []);
    const [rec] = await rawQuery<{ checksum: string; finished_at: Date | null }>(t.db, 'SELECT checksum, finished_at FROM "_prisma_migrations" WHERE migration_name = $1', [good.name]);
    assert.equal(rec?.checksum, good.checksum);
    assert.ok(rec?.finished_at);

    const bad = mk('99990102000000_broken', 'CREATE TABLE "pw_half" ("id" INTEGER);\nSELECT 1 / 0;');
    await assert.rejects(migrate(t.db, [...loadMigrations(), good, bad]), (err: unknown) => {
      assert.ok(err instanceof MigrationError);
      assert.match(err.message, /99990102000000_broken failed: division by zero/);
      return true;
    });
    const leftovers = await rawQuery<{ tbl: string | null; rows: string }>(t.db, `SELECT to_regclass('public.pw_half')::text AS tbl, (SELECT count(*) FROM "_prisma_migrations" WHERE migration_name = $1) AS rows`, [bad.name]);
    assert.deepEqual(leftovers, [{ tbl: null, rows: '0' }]);
    // The connection that ran it is usable again (no transaction left open).
    assert.deepEqual(await migrate(t.db, [...loadMigrations(), good]), []);
  });

  test('two replicas migrating an empty database at once apply each migration exactly once', async () => {
    const empty = await createEmptyDatabase();
    cleanups.push(() => empty.drop());
    const a = await openDatabase({ databaseUrl: empty.url, poolMax: 2 , timeouts: TEST_DB_TIMEOUTS });
    const b = await openDatabase({ databaseUrl: empty.url, poolMax: 2 , timeouts: TEST_DB_TIMEOUTS });
    cleanups.push(() => a.close(), () => b.close());
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    const names = loadMigrations().map((m) => m.name);
    assert.deepEqual([...ra, ...rb].sort(), names, 'every migration applied by exactly one replica');
    const rows = await rawQuery<{ migration_name: string }>(a, 'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name');
    assert.deepEqual(rows.map((r) => r.migration_name), names);
    assert.deepEqual(diffCatalogs(expected, await catalogOf(a), BOOKKEEPING), []);
  });
});
