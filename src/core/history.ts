// Records that backfill importers yield and the ingest path stores. Pure data, no IO.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface ImportedVersion {
  versionId: string; // "v3"
  createDate: Date | undefined;
  isDefault: boolean;
  document: JsonValue;
}

export interface ImportedPolicy {
  name: string;
  arn: string;
  path: string;
  createDate?: Date | undefined;
  updateDate?: Date | undefined;
  defaultVersionId?: string | undefined;
  versions: ImportedVersion[];
}
