// The typed whole-document failure of feed parsing. Its own module so the guards (parse.ts) and the
// XML reader (reader.ts) can both raise it without importing each other.

export type FeedParseErrorCode = 'too_large' | 'dtd_rejected' | 'malformed_xml' | 'not_rss';

export class FeedParseError extends Error {
  readonly code: FeedParseErrorCode;
  constructor(code: FeedParseErrorCode, message: string) {
    super(message);
    this.name = 'FeedParseError';
    this.code = code;
  }
}
