// Records that backfill importers yield and the ingest path stores. Pure data, no IO.
import type { Observer } from './date-sources.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface ImportedVersion {
  versionId: string; // "v3"
  createDate: Date | undefined;
  isDefault: boolean;
  document: JsonValue;
  /** When the source itself first saw the version (IAMTrail: the commit time), if it records that. */
  observedBy?: { observer: Observer; at: Date } | undefined;
}

export interface ImportedPolicy {
  name: string;
  arn: string;
  path: string;
  createDate?: Date | undefined;
  updateDate?: Date | undefined;
  defaultVersionId?: string | undefined;
  versions: ImportedVersion[];
  /** The source saw the policy retired (IAMTrail: DEPRECATED.json, or its file emptied or removed). */
  deprecatedAt?: Date | undefined;
}
