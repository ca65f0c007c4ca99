// Typed failures and per-item problems of the backfill readers. A problem costs only the item it
// names (one file, policy or version); an ImportError means the whole source is unusable.

export type ImportErrorCode =
  | 'not-found' // spec is neither an existing path nor the supported package name
  | 'unreadable' // the file or directory could not be read
  | 'invalid-json' // the (single) dataset file is not JSON
  | 'unknown-layout' // the file/directory is not one of the supported shapes
  | 'invalid-version-id'; // versionNumber() was given something other than v<N>

export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    readonly code: ImportErrorCode,
    /** The file or directory the error is about ('' when it is not about a file). */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(file ? `${file}: ${message}` : message, options);
  }
}

export type ImportProblemCode =
  | 'unreadable-file'
  | 'invalid-json'
  | 'invalid-shape' // JSON parsed but a required field is missing or of the wrong type
  | 'invalid-version-id'
  | 'invalid-date' // the version (or policy) is kept with the date undefined
  | 'invalid-document'
  | 'arn-mismatch' // the dataset's ARN does not end in the policy's name: policy skipped
  | 'conflicting-version'; // two snapshots of one VersionId carry different documents: last kept

export interface ImportProblem {
  code: ImportProblemCode;
  /** The file the problem was found in (for the dataset: the dataset file). */
  file: string;
  policy?: string;
  versionId?: string;
  message: string;
}
