// IamSource over the real AWS SDK v3 IAM client. Credentials come from the SDK's default chain
// unless given; the endpoint from the option, else AWS_ENDPOINT_URL_IAM (which the SDK reads
// itself), else IAM's real endpoint. Retries are the SDK's (standard or adaptive, with backoff);
// every HTTP attempt, retries included, is counted in apiCalls.
import {
  GetPolicyVersionCommand,
  IAMClient,
  type IAMClientConfig,
  ListPoliciesCommand,
  type ListPoliciesCommandOutput,
  ListPolicyVersionsCommand,
  type ListPolicyVersionsCommandOutput,
  type Policy,
  type PolicyVersion,
} from '@aws-sdk/client-iam';
// @smithy/core is @aws-sdk/client-iam's own runtime; only needed to shorten backoff in tests.
import { AdaptiveRetryStrategy, StandardRetryStrategy } from '@smithy/core/retry';
import type { CredentialCheck, IamPolicySummary, IamSource, IamVersionDocument, IamVersionSummary } from '../../core/iam.ts';
import { IamSourceError, toIamSourceError } from './errors.ts';
import { checkCredentials } from './credentials.ts';

export { IamSourceError } from './errors.ts';
export type { IamSourceErrorCode } from './errors.ts';

export interface AwsIamSourceOptions {
  /** Signing region; IAM is global, so this only picks the partition. Default AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
  region?: string;
  /** Overrides the endpoint. Omit to let the SDK use AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL or IAM itself. */
  endpoint?: string;
  /** Total attempts per request, first one included (default 8). */
  maxAttempts?: number;
  retryMode?: 'standard' | 'adaptive';
  /**
   * Base of the exponential full-jitter backoff, in ms, for throttling and transient errors alike.
   * Omit in production to keep the SDK's own bases (1 s throttling, 50 ms transient); tests set 1.
   */
  retryBaseDelayMs?: number;
  /** Page size for ListPolicies/ListPolicyVersions (1..1000, default 1000). */
  pageSize?: number;
  credentials?: IAMClientConfig['credentials'];
  requestHandler?: IAMClientConfig['requestHandler'];
}

export const DEFAULT_MAX_ATTEMPTS = 8;
// IAM pages never legitimately approach this; it stops a server that keeps saying IsTruncated.
const MAX_PAGES = 10_000;
const MAX_BACKOFF_MS = 20_000;

function checkInt(name: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
}

/** Full-jitter exponential backoff with a fixed base, replacing the SDK's per-error-type bases. */
function fixedBaseBackoff(baseMs: number) {
  return {
    computeNextBackoffDelay: (retries: number) => Math.floor(Math.random() * Math.min(baseMs * 2 ** retries, MAX_BACKOFF_MS)),
    setDelayBase: () => {},
  };
}

export class AwsIamSource implements IamSource {
  private readonly client: IAMClient;
  private readonly pageSize: number;
  private calls = 0;

  constructor(options: AwsIamSourceOptions = {}) {
    checkInt('maxAttempts', options.maxAttempts, 1, 50);
    checkInt('pageSize', options.pageSize, 1, 1000);
    if (options.retryBaseDelayMs !== undefined && !(Number.isFinite(options.retryBaseDelayMs) && options.retryBaseDelayMs >= 0)) {
      throw new RangeError(`retryBaseDelayMs must be a finite number >= 0, got ${options.retryBaseDelayMs}`);
    }
    this.pageSize = options.pageSize ?? 1000;
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const retryMode = options.retryMode ?? 'standard';

    const config: IAMClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      maxAttempts,
      retryMode,
    };
    // Set only when given: an explicit `endpoint: undefined` key must not shadow the SDK's own
    // AWS_ENDPOINT_URL_IAM handling (nor `credentials: undefined` the default chain).
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.credentials !== undefined) config.credentials = options.credentials;
    if (options.requestHandler !== undefined) config.requestHandler = options.requestHandler;
    if (options.retryBaseDelayMs !== undefined) {
      const backoff = fixedBaseBackoff(options.retryBaseDelayMs);
      config.retryStrategy =
        retryMode === 'adaptive' ? new AdaptiveRetryStrategy(maxAttempts, { maxAttempts, backoff }) : new StandardRetryStrategy({ maxAttempts, backoff });
    }
    // The SDK's 9-line NodeVersionSupportWarning (printed by every client on Node < 22) is not
    // ours to print on every command: the README and package.json engines state what we support.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new IAMClient(config);
    // Low priority in finalizeRequest runs inside the retry middleware (high priority), so it
    // sees each attempt that goes to the wire, not each logical call.
    this.client.middlewareStack.add(
      (next) => async (args) => {
        this.calls += 1;
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'policywatchApiCallCounter' },
    );
  }

  get apiCalls(): number {
    return this.calls;
  }

  /** Whether the SDK's credential chain finds credentials (no IAM call is made). */
  checkCredentials(): Promise<CredentialCheck> {
    return checkCredentials(() => this.client.config.credentials());
  }

  /** Releases the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }

  async listPolicies(signal?: AbortSignal): Promise<IamPolicySummary[]> {
    const out: IamPolicySummary[] = [];
    await this.paginate('ListPolicies', signal, async (marker) => {
      const page: ListPoliciesCommandOutput = await this.client.send(
        new ListPoliciesCommand({ Scope: 'AWS', MaxItems: this.pageSize, ...(marker !== undefined && { Marker: marker }) }),
        { abortSignal: signal },
      );
      for (const p of page.Policies ?? []) out.push(toPolicySummary(p));
      return page;
    });
    return out;
  }

  async listPolicyVersions(policyArn: string, signal?: AbortSignal): Promise<IamVersionSummary[]> {
    const out: IamVersionSummary[] = [];
    await this.paginate('ListPolicyVersions', signal, async (marker) => {
      const page: ListPolicyVersionsCommandOutput = await this.client.send(
        new ListPolicyVersionsCommand({ PolicyArn: policyArn, MaxItems: this.pageSize, ...(marker !== undefined && { Marker: marker }) }),
        { abortSignal: signal },
      );
      for (const v of page.Versions ?? []) {
        const s = toVersionFields(v, 'ListPolicyVersions');
        out.push({ versionId: s.versionId, isDefaultVersion: s.isDefaultVersion, createDate: s.createDate });
      }
      return page;
    });
    return out;
  }

  async getPolicyVersion(policyArn: string, versionId: string, signal?: AbortSignal): Promise<IamVersionDocument> {
    const res = await this.call('GetPolicyVersion', signal, () =>
      this.client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }), { abortSignal: signal }),
    );
    const v = res.PolicyVersion;
    if (!v) throw invalid('GetPolicyVersion', 'response has no PolicyVersion');
    const fields = toVersionFields(v, 'GetPolicyVersion');
    if (fields.versionId !== versionId) throw invalid('GetPolicyVersion', `asked for ${versionId}, got ${fields.versionId}`);
    if (typeof v.Document !== 'string') throw invalid('GetPolicyVersion', `${policyArn} ${versionId} has no Document`);
    let documentText: string;
    try {
      documentText = decodeURIComponent(v.Document);
    } catch (e) {
      throw new IamSourceError(`GetPolicyVersion: ${policyArn} ${versionId}: Document is not valid percent-encoding`, {
        code: 'MalformedDocument',
        retryable: false,
        operation: 'GetPolicyVersion',
        cause: e,
      });
    }
    return { ...fields, documentText };
  }

  private async call<T>(operation: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    if (signal?.aborted) throw toIamSourceError(signal.reason, operation, signal);
    try {
      return await fn();
    } catch (e) {
      throw toIamSourceError(e, operation, signal);
    }
  }

  private async paginate(
    operation: string,
    signal: AbortSignal | undefined,
    fetchPage: (marker: string | undefined) => Promise<{ IsTruncated?: boolean | undefined; Marker?: string | undefined }>,
  ): Promise<void> {
    const seen = new Set<string>();
    let marker: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await this.call(operation, signal, () => fetchPage(marker));
      if (!page.IsTruncated) return;
      if (!page.Marker) throw invalid(operation, 'IsTruncated without a Marker');
      if (seen.has(page.Marker)) throw invalid(operation, 'the same Marker came back twice (paging loop)');
      seen.add(page.Marker);
      marker = page.Marker;
    }
    throw invalid(operation, `more than ${MAX_PAGES} pages`);
  }
}

function invalid(operation: string, message: string): IamSourceError {
  return new IamSourceError(`${operation}: invalid response: ${message}`, { code: 'InvalidResponse', retryable: false, operation });
}

function toPolicySummary(p: Policy): IamPolicySummary {
  const { PolicyName, PolicyId, Arn, Path, DefaultVersionId, IsAttachable } = p;
  // Every one of these is always present in IAM's ListPolicies; a gap means we are not talking to IAM.
  if (!PolicyName || !PolicyId || !Arn || !Path || !DefaultVersionId || typeof IsAttachable !== 'boolean') {
    throw invalid('ListPolicies', `incomplete policy entry ${JSON.stringify(PolicyName ?? Arn ?? null)}`);
  }
  return {
    policyName: PolicyName,
    policyId: PolicyId,
    arn: Arn,
    path: Path,
    defaultVersionId: DefaultVersionId,
    isAttachable: IsAttachable,
    createDate: p.CreateDate,
    updateDate: p.UpdateDate,
    ...(p.Description !== undefined && { description: p.Description }),
  };
}

function toVersionFields(v: PolicyVersion, operation: string): IamVersionSummary {
  if (!v.VersionId || typeof v.IsDefaultVersion !== 'boolean') throw invalid(operation, 'version entry without VersionId/IsDefaultVersion');
  return { versionId: v.VersionId, isDefaultVersion: v.IsDefaultVersion, createDate: v.CreateDate };
}
