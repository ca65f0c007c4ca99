-- The data generation: a counter that every committed change to what the API shows moves on
-- (stored versions, policies and their deprecation, change events, first-seen actions, and the
-- documentation history with its feeds and links). Response caches key on it, so a cached answer
-- is served only while the data it was computed from is unchanged, on every replica.
-- CreateTable
CREATE TABLE "data_generation" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "generation" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "data_generation_pkey" PRIMARY KEY ("id")
);

-- One row, id 1; nothing else writes this table.
INSERT INTO "data_generation" ("id", "generation") VALUES (1, 0);

-- Bumped once per writing transaction, at commit (deferred constraint triggers): the counter's row
-- lock is then taken last and held only while committing, so writers that run concurrently (IAM
-- poll, RSS poll, import) never deadlock on it, and the new value becomes visible together with
-- the data. Updates that change nothing do not count.
CREATE FUNCTION "bump_data_generation"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('policywatch.generation_bumped', true) IS DISTINCT FROM txid_current()::text THEN
    PERFORM set_config('policywatch.generation_bumped', txid_current()::text, true);
    UPDATE "data_generation" SET "generation" = "generation" + 1 WHERE "id" = 1;
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['policies', 'policy_versions', 'change_events', 'action_first_seen', 'feeds',
                           'doc_history_entries', 'doc_history_mentions', 'doc_history_links'] LOOP
    EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION "bump_data_generation"()', t || '_generation_write', t);
    EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER UPDATE ON %I DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION "bump_data_generation"()', t || '_generation_update', t);
  END LOOP;
END $$;
