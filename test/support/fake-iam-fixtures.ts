// Shared set-up for tests that talk to the fake IAM endpoint through the real SDK client.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeIam, type FakePolicy } from '../../src/sources/fake-iam/fake-iam.ts';
import { DEFAULT_CORPUS_DIR, seedFromCorpus } from '../../src/sources/fake-iam/seed.ts';
import { AwsIamSource, type AwsIamSourceOptions } from '../../src/sources/iam/aws-iam-source.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' };

export interface RunningFake {
  fake: FakeIam;
  url: string;
  stop(): Promise<void>;
}

export async function startFake(seed: readonly FakePolicy[]): Promise<RunningFake> {
  const fake = new FakeIam(seed);
  const { url } = await fake.start();
  return { fake, url, stop: () => fake.stop() };
}

export async function startCorpusFake(): Promise<RunningFake> {
  return startFake(await seedFromCorpus());
}

/** A real-SDK source aimed at the fake, with dummy credentials and millisecond backoff. */
export function testSource(url: string | undefined, opts: AwsIamSourceOptions = {}): AwsIamSource {
  return new AwsIamSource({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    retryBaseDelayMs: 1,
    maxAttempts: 4,
    ...(url !== undefined && { endpoint: url }),
    ...opts,
  });
}

/** The Document of one corpus file, as the AWS CLI stored it (already decoded and parsed). */
export async function corpusDocument(policyName: string, file: string): Promise<unknown> {
  const json = JSON.parse(await readFile(join(DEFAULT_CORPUS_DIR, policyName, file), 'utf8')) as { PolicyVersion: { Document: unknown } };
  return json.PolicyVersion.Document;
}

/** Corpus manifest entries of one policy. */
export async function corpusEntries(policyName: string): Promise<{ file: string; VersionId: string; CreateDate: string }[]> {
  const m = JSON.parse(await readFile(join(DEFAULT_CORPUS_DIR, 'manifest.json'), 'utf8')) as Record<string, { entries: { file: string; VersionId: string; CreateDate: string }[] }>;
  const e = m[policyName];
  if (!e) throw new Error(`no ${policyName} in corpus manifest`);
  return e.entries;
}
