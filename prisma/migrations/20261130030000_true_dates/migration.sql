-- Where each version's AWS create date came from (src/core/date-sources.ts): a date is replaced
-- only by one from a stronger source.
ALTER TABLE "policy_versions" ADD COLUMN "create_date_source" TEXT NOT NULL DEFAULT 'none';
UPDATE "policy_versions" SET "create_date_source" = CASE
  WHEN "aws_created_at" IS NULL THEN 'none'
  WHEN "create_date_unreliable" THEN 'copied'
  WHEN "source" = 'iam' THEN 'iam'
  WHEN "source" LIKE 'import:iamtrail%' THEN 'iamtrail'
  ELSE 'dataset' END;

-- An event whose date is unreliable lies in this interval (previous reliably dated version, next
-- one or when the version was first stored); occurred_at is then its position inside it.
ALTER TABLE "change_events" ADD COLUMN "occurred_after" TIMESTAMPTZ(3);
ALTER TABLE "change_events" ADD COLUMN "occurred_before" TIMESTAMPTZ(3);

-- When an observer (IAMTrail's poller, our IAM poll) first saw a version, beside AWS's create
-- date: detection latency.
CREATE TABLE "version_observations" (
    "policy_id" INTEGER NOT NULL,
    "version_id" TEXT NOT NULL,
    "observer" TEXT NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "aws_created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "version_observations_pkey" PRIMARY KEY ("policy_id","version_id","observer")
);
CREATE INDEX "version_observations_observer_idx" ON "version_observations"("observer");
ALTER TABLE "version_observations" ADD CONSTRAINT "version_observations_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The last commit of a git history an import read completely, per repository (keyed by its root
-- commit): a re-run reads only the commits after it.
CREATE TABLE "import_cursors" (
    "key" TEXT NOT NULL,
    "commit" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "import_cursors_pkey" PRIMARY KEY ("key")
);

-- Poll and import runs report how many stored dates a better source corrected.
ALTER TABLE "poll_runs" ADD COLUMN "dates_corrected" INTEGER NOT NULL DEFAULT 0;
