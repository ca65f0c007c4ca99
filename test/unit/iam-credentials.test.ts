// The IAM source reports whether the SDK's credential chain finds credentials, as a value with a
// short reason, and the poll service logs that once per change, not at every poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCredentials } from '../../src/sources/iam/credentials.ts';
import { AwsIamSource } from '../../src/sources/iam/aws-iam-source.ts';
import { IamPollService, NO_CREDENTIALS_WARNING } from '../../src/services/iam-poll-service.ts';
import type { CredentialCheck, IamSource } from '../../src/core/iam.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { PollRunStore, PolicyStore } from '../../src/core/stores.ts';

test('a chain that finds nothing is a value with the first line of its reason', async () => {
  const err = Object.assign(new Error('Could not load credentials from any providers\nmore detail'), { name: 'CredentialsProviderError' });
  assert.deepEqual(await checkCredentials(async () => Promise.reject(err)), { available: false, reason: 'Could not load credentials from any providers' });
  assert.deepEqual(await checkCredentials(async () => ({})), { available: false, reason: 'the credential chain returned no access key' });
});

test('found credentials say where they came from, as operators name it', async () => {
  assert.deepEqual(await checkCredentials(async () => ({ accessKeyId: 'AKID', $source: { CREDENTIALS_ENV_VARS: 'g' } })), { available: true, source: 'environment (AWS_ACCESS_KEY_ID)' });
  assert.deepEqual(await checkCredentials(async () => ({ accessKeyId: 'AKID', $source: { CREDENTIALS_PROFILE: 'n' } })), { available: true, source: 'shared config (AWS_PROFILE / ~/.aws)' });
  assert.deepEqual(await checkCredentials(async () => ({ accessKeyId: 'AKID' })), { available: true, source: undefined });
});

test('AwsIamSource asks its own client, and silences the SDK\'s Node version warning', async () => {
  const given = new AwsIamSource({ credentials: { accessKeyId: 'AKID', secretAccessKey: 's' } });
  assert.equal((await given.checkCredentials()).available, true);
  const failing = new AwsIamSource({ credentials: async () => Promise.reject(new Error('token expired')) });
  assert.deepEqual(await failing.checkCredentials(), { available: false, reason: 'token expired' });
  assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, 'true');
  given.destroy();
  failing.destroy();
});

test('the poll service warns once when credentials go missing, and says when they come back', async () => {
  let check: CredentialCheck = { available: false, reason: 'none' };
  const iam: IamSource = {
    apiCalls: 0, checkCredentials: async () => check,
    listPolicies: async () => [], listPolicyVersions: async () => [], getPolicyVersion: async () => Promise.reject(new Error('unused')),
  };
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: unknown, msg?: string) => void lines.push({ level, msg: msg ?? '' });
  const log = { warn: at('warn'), info: at('info'), debug: at('debug'), error: at('error'), child: () => log } as unknown as Logger;
  const service = new IamPollService({ iam, policies: {} as PolicyStore, runs: {} as PollRunStore, log, concurrency: 1 });
  for (let i = 0; i < 3; i++) assert.equal((await service.checkCredentials()).available, false);
  check = { available: true, source: 'environment (AWS_ACCESS_KEY_ID)' };
  await service.checkCredentials();
  await service.checkCredentials();
  check = { available: false, reason: 'expired' };
  await service.checkCredentials();
  assert.deepEqual(lines.map((l) => `${l.level}: ${l.msg}`), [
    `warn: ${NO_CREDENTIALS_WARNING}`, 'info: AWS credentials found; IAM polling on', `warn: ${NO_CREDENTIALS_WARNING}`,
  ]);
});
