import { Agent } from 'node:http';
import { FakeIam } from '../../src/sources/fake-iam/fake-iam.ts';
import { seedFromCorpus } from '../../src/sources/fake-iam/seed.ts';
import { AwsIamSource } from '../../src/sources/iam/aws-iam-source.ts';
import { CORPUS_DIR } from './paths.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** The fake IAM endpoint seeded with the real AmazonQ history, and the real SDK client on it. */
export async function startCorpusIam(t: { after(fn: () => Promise<void>): void }) {
  const fake = new FakeIam(await seedFromCorpus(CORPUS_DIR));
  const { url } = await fake.start();
  t.after(() => fake.stop());
  // No keep-alive: a socket the fake closed while the event loop was busy would cost a retry and
  // make exact call counts flaky.
  const iam = new AwsIamSource({
    endpoint: url, region: 'us-east-1', credentials: TEST_CREDENTIALS, retryBaseDelayMs: 1, maxAttempts: 4,
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
  return { fake, iam, url };
}
