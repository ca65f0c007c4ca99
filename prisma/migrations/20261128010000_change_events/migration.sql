-- CreateTable
CREATE TABLE "change_events" (
    "id" TEXT NOT NULL,
    "policy_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "from_version_id" TEXT,
    "to_version_id" TEXT,
    "from_version_number" INTEGER,
    "to_version_number" INTEGER,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "occurred_at_unreliable" BOOLEAN NOT NULL DEFAULT false,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "source" TEXT NOT NULL,
    "broadened" BOOLEAN NOT NULL DEFAULT false,
    "narrowed" BOOLEAN NOT NULL DEFAULT false,
    "catalog_version" TEXT,
    "diff" JSONB NOT NULL,
    "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "fingerprint" TEXT NOT NULL,

    CONSTRAINT "change_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "action_changes" (
    "id" BIGSERIAL NOT NULL,
    "event_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "action_key" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "access_level" TEXT NOT NULL,
    "change" TEXT NOT NULL,
    "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "action_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "action_first_seen" (
    "action_key" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "policy_id" INTEGER NOT NULL,
    "version_id" TEXT NOT NULL,

    CONSTRAINT "action_first_seen_pkey" PRIMARY KEY ("action_key")
);

-- CreateIndex
CREATE INDEX "action_first_seen_service_first_seen_at_idx" ON "action_first_seen"("service", "first_seen_at");

-- CreateIndex
CREATE INDEX "change_events_occurred_at_id_idx" ON "change_events"("occurred_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "change_events_policy_id_to_version_number_idx" ON "change_events"("policy_id", "to_version_number");

-- CreateIndex
CREATE INDEX "change_events_kind_idx" ON "change_events"("kind");

-- CreateIndex
CREATE INDEX "action_changes_event_id_idx" ON "action_changes"("event_id");

-- CreateIndex
CREATE INDEX "action_changes_action_key_idx" ON "action_changes"("action_key");

-- CreateIndex
CREATE INDEX "action_changes_service_idx" ON "action_changes"("service");

-- AddForeignKey
ALTER TABLE "change_events" ADD CONSTRAINT "change_events_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "action_changes" ADD CONSTRAINT "action_changes_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "change_events"("id") ON DELETE CASCADE ON UPDATE CASCADE;
