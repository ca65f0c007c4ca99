-- CreateTable
CREATE TABLE "policies" (
    "id" SERIAL NOT NULL,
    "aws_policy_id" TEXT,
    "name" TEXT NOT NULL,
    "arn" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "description" TEXT,
    "aws_created_at" TIMESTAMPTZ(3),
    "aws_updated_at" TIMESTAMPTZ(3),
    "default_version_id" TEXT,
    "is_attachable" BOOLEAN NOT NULL DEFAULT true,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deprecated_at" TIMESTAMPTZ(3),
    "source" TEXT NOT NULL,

    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_versions" (
    "id" BIGSERIAL NOT NULL,
    "policy_id" INTEGER NOT NULL,
    "version_id" TEXT NOT NULL,
    "version_number" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "document_hash" TEXT NOT NULL,
    "aws_created_at" TIMESTAMPTZ(3),
    "create_date_unreliable" BOOLEAN NOT NULL DEFAULT false,
    "observed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" TEXT NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "observed_default_at" TIMESTAMPTZ(3),

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "poll_runs" (
    "id" BIGSERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,
    "api_calls" INTEGER NOT NULL DEFAULT 0,
    "policies_seen" INTEGER NOT NULL DEFAULT 0,
    "policies_changed" INTEGER NOT NULL DEFAULT 0,
    "versions_added" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "poll_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "policies_aws_policy_id_key" ON "policies"("aws_policy_id");

-- CreateIndex
CREATE UNIQUE INDEX "policies_name_key" ON "policies"("name");

-- CreateIndex
CREATE UNIQUE INDEX "policies_arn_key" ON "policies"("arn");

-- CreateIndex
CREATE INDEX "policy_versions_document_hash_idx" ON "policy_versions"("document_hash");

-- CreateIndex
CREATE UNIQUE INDEX "policy_versions_policy_id_version_number_key" ON "policy_versions"("policy_id", "version_number");

-- CreateIndex
CREATE UNIQUE INDEX "policy_versions_policy_id_version_id_key" ON "policy_versions"("policy_id", "version_id");

-- CreateIndex
CREATE INDEX "poll_runs_source_started_at_idx" ON "poll_runs"("source", "started_at");

-- AddForeignKey
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE CASCADE ON UPDATE CASCADE;
