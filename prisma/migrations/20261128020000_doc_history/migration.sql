-- AlterTable
ALTER TABLE "change_events" ADD COLUMN     "doc_flags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "feeds" (
    "id" SERIAL NOT NULL,
    "url" TEXT NOT NULL,
    "title" TEXT,
    "services" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "origin" TEXT NOT NULL DEFAULT 'api',
    "etag" TEXT,
    "last_modified" TEXT,
    "last_polled_at" TIMESTAMPTZ(3),
    "last_status" TEXT,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feeds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "doc_history_entries" (
    "id" BIGSERIAL NOT NULL,
    "feed_id" INTEGER NOT NULL,
    "identity" TEXT NOT NULL,
    "guid" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "link" TEXT,
    "description_html" TEXT NOT NULL,
    "description_text" TEXT NOT NULL,
    "published_at" TIMESTAMPTZ(3),
    "raw_pub_date" TEXT NOT NULL,
    "date_problem" TEXT,
    "kind" TEXT NOT NULL,
    "stated_direction" TEXT NOT NULL,
    "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "doc_history_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "doc_history_mentions" (
    "entry_id" BIGINT NOT NULL,
    "policy_name" TEXT NOT NULL,
    "resolved" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "doc_history_mentions_pkey" PRIMARY KEY ("entry_id","policy_name")
);

-- CreateTable
CREATE TABLE "doc_history_links" (
    "entry_id" BIGINT NOT NULL,
    "event_id" TEXT NOT NULL,

    CONSTRAINT "doc_history_links_pkey" PRIMARY KEY ("entry_id","event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "feeds_url_key" ON "feeds"("url");

-- CreateIndex
CREATE UNIQUE INDEX "doc_history_entries_identity_key" ON "doc_history_entries"("identity");

-- CreateIndex
CREATE INDEX "doc_history_entries_feed_id_idx" ON "doc_history_entries"("feed_id");

-- CreateIndex
CREATE INDEX "doc_history_entries_published_at_id_idx" ON "doc_history_entries"("published_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "doc_history_mentions_policy_name_idx" ON "doc_history_mentions"("policy_name");

-- CreateIndex
CREATE INDEX "doc_history_links_event_id_idx" ON "doc_history_links"("event_id");

-- AddForeignKey
ALTER TABLE "doc_history_entries" ADD CONSTRAINT "doc_history_entries_feed_id_fkey" FOREIGN KEY ("feed_id") REFERENCES "feeds"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "doc_history_mentions" ADD CONSTRAINT "doc_history_mentions_entry_id_fkey" FOREIGN KEY ("entry_id") REFERENCES "doc_history_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "doc_history_links" ADD CONSTRAINT "doc_history_links_entry_id_fkey" FOREIGN KEY ("entry_id") REFERENCES "doc_history_entries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "doc_history_links" ADD CONSTRAINT "doc_history_links_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "change_events"("id") ON DELETE CASCADE ON UPDATE CASCADE;
