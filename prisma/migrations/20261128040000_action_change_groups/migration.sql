-- Per-action rows become one row per (event, change, service, access level, flags) holding the
-- actions that share them: a wildcard or NotAction grant was 20,000+ rows per event.

-- AlterTable
ALTER TABLE "action_changes" ADD COLUMN     "action_keys" TEXT[];

-- Existing rows are regrouped, not dropped: events keep their actions without a recomputation.
INSERT INTO "action_changes" ("event_id", "action", "action_key", "service", "access_level", "change", "flags", "action_keys")
SELECT "event_id", '', '', "service", "access_level", "change", "flags", array_agg("action_key" ORDER BY "action_key")
FROM "action_changes"
WHERE "action_keys" IS NULL
GROUP BY "event_id", "service", "access_level", "change", "flags";

DELETE FROM "action_changes" WHERE "action_keys" IS NULL;

-- DropIndex
DROP INDEX "action_changes_action_key_idx";

-- AlterTable
ALTER TABLE "action_changes" DROP COLUMN "action",
DROP COLUMN "action_key";
