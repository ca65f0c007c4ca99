// Failures of the IAM source, after the SDK's retries, as one typed error. Pure mapping.

/**
 * IAM's own error code (Throttling, ServiceFailure, NoSuchEntity, InvalidInput, AccessDenied, ...)
 * or one of ours: NetworkError (no HTTP response), Aborted (the caller's signal), InvalidResponse
 * (IAM answered something unusable), MalformedDocument (Document not valid percent-encoding),
 * Unknown.
 */
export type IamSourceErrorCode = string;

export class IamSourceError extends Error {
  override readonly name = 'IamSourceError';
  readonly code: IamSourceErrorCode;
  /** Whether the same call later may succeed (throttling, 5xx, network); false for client errors. */
  readonly retryable: boolean;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  /** HTTP attempts the SDK made for this call, when known. */
  readonly attempts: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    message: string,
    opts: { code: IamSourceErrorCode; retryable: boolean; operation: string; httpStatus?: number; attempts?: number; requestId?: string; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.code = opts.code;
    this.retryable = opts.retryable;
    this.operation = opts.operation;
    this.httpStatus = opts.httpStatus;
    this.attempts = opts.attempts;
    this.requestId = opts.requestId;
  }
}

const THROTTLING_CODES = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'SlowDown']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
}

/** Maps whatever the SDK threw (after its retries) to an IamSourceError. */
export function toIamSourceError(e: unknown, operation: string, signal?: AbortSignal): IamSourceError {
  if (e instanceof IamSourceError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const name = typeof err.name === 'string' ? err.name : '';
  const message = typeof err.message === 'string' && err.message !== '' ? err.message : String(e);
  const meta = err.$metadata ?? {};
  const common = { operation, cause: e, attempts: meta.attempts, requestId: meta.requestId, httpStatus: meta.httpStatusCode };

  if (signal?.aborted || name === 'AbortError') {
    return new IamSourceError(`${operation}: aborted`, { ...common, code: 'Aborted', retryable: false });
  }
  const status = meta.httpStatusCode;
  if (status !== undefined) {
    // The Query protocol puts IAM's code in Code (e.g. NoSuchEntity for NoSuchEntityException).
    const code = typeof err.Code === 'string' && err.Code !== '' ? err.Code : name.replace(/Exception$/, '') || `Http${status}`;
    const retryable = THROTTLING_CODES.has(code) || status === 429 || status >= 500;
    return new IamSourceError(`${operation}: ${code}: ${message}`, { ...common, code, retryable });
  }
  const sysCode = typeof err.code === 'string' ? err.code : '';
  if (NETWORK_CODES.has(sysCode) || name === 'TimeoutError') {
    return new IamSourceError(`${operation}: network error: ${message}${sysCode ? ` (${sysCode})` : ''}`, { ...common, code: 'NetworkError', retryable: true });
  }
  return new IamSourceError(`${operation}: ${message}`, { ...common, code: 'Unknown', retryable: false });
}
