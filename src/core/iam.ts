// The IAM source as the ingest service sees it. src/sources/iam implements it with the AWS SDK;
// tests may use the real client against the fake endpoint (src/sources/fake-iam).

/** One entry of ListPolicies(Scope=AWS). */
export interface IamPolicySummary {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  defaultVersionId: string;
  isAttachable: boolean;
  createDate: Date | undefined;
  updateDate: Date | undefined;
  description?: string | undefined;
}

/** One entry of ListPolicyVersions (no document). */
export interface IamVersionSummary {
  versionId: string;
  isDefaultVersion: boolean;
  createDate: Date | undefined;
}

/** GetPolicyVersion with the document URL-decoded but NOT parsed: parsing may fail per version. */
export interface IamVersionDocument {
  versionId: string;
  isDefaultVersion: boolean;
  createDate: Date | undefined;
  /** The decoded document text (decodeURIComponent of what IAM returned). */
  documentText: string;
}

/** Whether the source can sign requests. Without credentials the poller skips its runs. */
export type CredentialCheck =
  | { available: true; /** Where the SDK found them (e.g. environment, shared config file), when it says. */ source: string | undefined }
  | { available: false; reason: string };

export interface IamSource {
  /** All AWS managed policies (all pages of ListPolicies Scope=AWS, MaxItems=1000). */
  listPolicies(signal?: AbortSignal): Promise<IamPolicySummary[]>;
  listPolicyVersions(policyArn: string, signal?: AbortSignal): Promise<IamVersionSummary[]>;
  getPolicyVersion(policyArn: string, versionId: string, signal?: AbortSignal): Promise<IamVersionDocument>;
  /** Optional: a source that cannot lack credentials (a test double) omits it. */
  checkCredentials?(): Promise<CredentialCheck>;
  /** Number of IAM API requests made so far (each page and each retry counts). */
  readonly apiCalls: number;
}
