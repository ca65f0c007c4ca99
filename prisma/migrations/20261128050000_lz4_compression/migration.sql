-- Documents and diffs are TOASTed: lz4 compresses them several times faster than the default
-- pglz (it halves Postgres' share of a full dataset import) for ~20 % more space. Servers built
-- without lz4 (PGlite) keep pglz. Not part of schema.prisma: Prisma has no attribute for it.
DO $$
BEGIN
  ALTER TABLE "policy_versions" ALTER COLUMN "document" SET COMPRESSION lz4;
  ALTER TABLE "change_events" ALTER COLUMN "diff" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
