// Reads the data generation for request handling: "what is the generation now?" answered by a
// read that STARTED after the question was asked (so a commit that finished before the request
// arrived is always seen: a cache keyed on the answer is never stale), yet shared by every
// request that asked meanwhile. Under load that is one tiny query per database round trip,
// however many requests are in flight; works the same on Postgres replicas and on PGlite.
import type { GenerationStore } from '../core/generation.ts';

export class DataGeneration {
  private running: Promise<string> | undefined;
  private queued: Promise<string> | undefined;

  constructor(private readonly store: GenerationStore) {}

  current(): Promise<string> {
    if (!this.running) return this.begin();
    // A read is under way, but it began before this call: wait for the next one.
    this.queued ??= this.running.then(() => undefined, () => undefined).then(() => {
      this.queued = undefined;
      return this.begin();
    });
    return this.queued;
  }

  private begin(): Promise<string> {
    const p = this.store.read();
    this.running = p;
    const done = () => {
      if (this.running === p) this.running = undefined;
    };
    p.then(done, done);
    return p;
  }
}
