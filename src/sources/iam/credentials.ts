// Asks the AWS SDK's credential chain whether it can find credentials, without calling IAM.
// Missing credentials are an expected state (a first run, a laptop without ~/.aws), reported as a
// value with a short reason, never thrown.
import type { CredentialCheck } from '../../core/iam.ts';

/** What the SDK's provider resolves to; `$source` records which link of the chain answered. */
type ProvidedCredentials = { accessKeyId?: string; $source?: Record<string, unknown> };

// The SDK's feature ids for the chain's links, as operators name them.
const SOURCES: Record<string, string> = {
  CREDENTIALS_CODE: 'configuration',
  CREDENTIALS_ENV_VARS: 'environment (AWS_ACCESS_KEY_ID)',
  CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: 'web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)',
  CREDENTIALS_PROFILE: 'shared config (AWS_PROFILE / ~/.aws)',
  CREDENTIALS_PROFILE_SOURCE_PROFILE: 'shared config (AWS_PROFILE / ~/.aws)',
  CREDENTIALS_PROFILE_PROCESS: 'credential_process in ~/.aws/config',
  CREDENTIALS_PROFILE_SSO: 'IAM Identity Center (aws sso login)',
  CREDENTIALS_SSO: 'IAM Identity Center (aws sso login)',
  CREDENTIALS_IMDS: 'instance role (EC2 metadata)',
  CREDENTIALS_HTTP: 'container role (ECS/EKS)',
};

export async function checkCredentials(provider: () => Promise<ProvidedCredentials>): Promise<CredentialCheck> {
  try {
    const c = await provider();
    if (!c.accessKeyId) return { available: false, reason: 'the credential chain returned no access key' };
    const keys = Object.keys(c.$source ?? {});
    const named = [...new Set(keys.map((k) => SOURCES[k]).filter((s): s is string => s !== undefined))];
    return { available: true, source: named.length > 0 ? named.join(', ') : undefined };
  } catch (err) {
    // CredentialsProviderError ("Could not load credentials from any providers") and the chain's
    // other failures (an expired SSO session, a profile that does not exist) alike.
    const message = err instanceof Error ? err.message : String(err);
    return { available: false, reason: message.split('\n')[0] ?? 'no credentials' };
  }
}
