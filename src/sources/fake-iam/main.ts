// Runs the fake IAM endpoint for demos and manual checks:
//   node --import tsx src/sources/fake-iam/main.ts --seed corpus|dataset [--port 4599] [--host 127.0.0.1] [--corpus DIR]
// Then point the service at it with AWS_ENDPOINT_URL_IAM=<printed url>.
import { parseArgs } from 'node:util';
import { FakeIam } from './fake-iam.ts';
import { DEFAULT_CORPUS_DIR, loadDataset, seedFromCorpus, seedFromDataset } from './seed.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: 'corpus' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      corpus: { type: 'string', default: DEFAULT_CORPUS_DIR },
    },
    strict: true,
  });
  const portText = values.port ?? process.env.FAKE_IAM_PORT ?? '4599';
  const port = Number(portText);
  if (!/^[0-9]{1,5}$/.test(portText) || port > 65535) throw new Error(`invalid port ${portText}`);
  if (values.seed !== 'corpus' && values.seed !== 'dataset') throw new Error(`--seed must be corpus or dataset, got ${values.seed}`);

  const seed = values.seed === 'corpus' ? await seedFromCorpus(values.corpus) : seedFromDataset(await loadDataset());
  const fake = new FakeIam(seed);
  const { url } = await fake.start(port, values.host);
  console.log(`fake IAM serving ${seed.length} AWS managed policies (${values.seed}) at ${url}`);
  console.log(`  export AWS_ENDPOINT_URL_IAM=${url}`);
  const shutdown = () => {
    void fake.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error(`fake-iam: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
