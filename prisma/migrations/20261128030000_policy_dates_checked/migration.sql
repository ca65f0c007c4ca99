-- AlterTable
ALTER TABLE "policies" ADD COLUMN     "dates_checked_at" TIMESTAMPTZ(3);
