// The fake IAM endpoint behind a gate proxy, for tests that hold a poll mid-run. Call inside a
// describe: after each test the gate is opened and faults cleared, so a failed test leaves
// nothing held or armed for the next one.
import { afterEach } from 'node:test';
import { startCorpusIam } from './iam.ts';
import { startGateProxy } from './gate-proxy.ts';

export async function startGatedIam(cleanups: (() => Promise<void>)[]) {
  const { fake, url } = await startCorpusIam({ after: (fn) => cleanups.push(fn) });
  const gate = await startGateProxy(url);
  cleanups.push(() => gate.stop());
  afterEach(() => {
    gate.release();
    fake.clearFaults();
  });
  return { fake, gate };
}
