// Migrations that reshape stored data keep it: each test migrates an empty database up to just
// before the migration, stores rows in the old shape, applies the rest and reads the new shape.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmptyDatabase } from '../support/pg-admin.ts';
import { openDatabase } from '../../src/db/database.ts';
import { TEST_DB_TIMEOUTS } from '../support/db.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';

/** An empty database (no migrations), dropped after the test. */
async function emptyDatabase(t: { after(fn: () => Promise<void>): unknown }) {
  const empty = await createEmptyDatabase();
  const db = await openDatabase({ databaseUrl: empty.url , timeouts: TEST_DB_TIMEOUTS });
  t.after(async () => {
    await db.close();
    await empty.drop();
  });
  return db;
}

describe('data-reshaping migrations (Postgres)', () => {
  test('per-action rows become one row per (event, change, service, access level, flags)', async (t) => {
    const db = await emptyDatabase(t);
    const all = loadMigrations();
    const at = all.findIndex((m) => m.name.endsWith('_action_change_groups'));
    assert.ok(at > 0, 'the action_change_groups migration exists');
    await migrate(db, all.slice(0, at));

    await db.sql.exec(`
      INSERT INTO policies (id, name, arn, path, source) VALUES (1, 'P', 'arn:aws:iam::aws:policy/P', '/', 'iam');
      INSERT INTO change_events (id, policy_id, kind, occurred_at, source, diff, fingerprint)
        VALUES ('evt_a', 1, 'created', now(), 'iam', '{}', 'f1'), ('evt_b', 1, 'permissions_changed', now(), 'iam', '{}', 'f2');
      INSERT INTO action_changes (event_id, action, action_key, service, access_level, change, flags) VALUES
        ('evt_a', 's3:PutObject', 's3:putobject', 's3', 'Write', 'added', '{}'),
        ('evt_a', 's3:GetObject', 's3:getobject', 's3', 'Read', 'added', '{}'),
        ('evt_a', 's3:DeleteObject', 's3:deleteobject', 's3', 'Write', 'added', '{}'),
        ('evt_a', 'iam:PassRole', 'iam:passrole', 'iam', 'Write', 'added', '{privilege-escalation}'),
        ('evt_a', 'iam:TagRole', 'iam:tagrole', 'iam', 'Write', 'added', '{}'),
        ('evt_b', 's3:PutObject', 's3:putobject', 's3', 'Write', 'removed', '{}'),
        ('evt_b', 's3:GetObject', 's3:getobject', 's3', 'Read', 'scope_changed', '{}');
    `);
    await migrate(db);

    const rows = await db.sql.query<{ event_id: string; service: string; access_level: string; change: string; flags: string[]; action_keys: string[] }>(
      'SELECT event_id, service, access_level, change, flags, action_keys FROM action_changes ORDER BY event_id, change, service, access_level, flags',
    );
    assert.deepEqual(rows.map((r) => [r.event_id, r.change, r.service, r.access_level, r.flags, r.action_keys]), [
      ['evt_a', 'added', 'iam', 'Write', [], ['iam:tagrole']],
      ['evt_a', 'added', 'iam', 'Write', ['privilege-escalation'], ['iam:passrole']],
      ['evt_a', 'added', 's3', 'Read', [], ['s3:getobject']],
      ['evt_a', 'added', 's3', 'Write', [], ['s3:deleteobject', 's3:putobject']],
      ['evt_b', 'removed', 's3', 'Write', [], ['s3:putobject']],
      ['evt_b', 'scope_changed', 's3', 'Read', [], ['s3:getobject']],
    ]);
    const columns = await db.sql.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'action_changes' ORDER BY column_name");
    assert.deepEqual(columns.map((c) => c.column_name), ['access_level', 'action_keys', 'change', 'event_id', 'flags', 'id', 'service']);
  });

  test('documents and diffs are lz4-compressed where the server supports it', async (t) => {
    const db = await emptyDatabase(t);
    await migrate(db);
    const rows = await db.sql.query<{ attname: string; attcompression: string }>(
      "SELECT attname, attcompression FROM pg_attribute WHERE (attrelid, attname) IN (('policy_versions'::regclass, 'document'), ('change_events'::regclass, 'diff')) ORDER BY attname",
    );
    assert.deepEqual(rows.map((r) => [r.attname, r.attcompression]), [['diff', 'l'], ['document', 'l']]);
  });
});
