// Reads the data generation for request handling: "what is the generation now?" answered by a
// read that STARTED after the question was asked (so a commit that finished before the request
// arrived is always seen: a cache keyed on the answer is never stale), yet shared by every
// request that asked meanwhile. A read starts at the end of the event loop's turn (setImmediate)
// in which it was first asked for, so the requests parsed in one turn share it, and never while
// another is in flight: under load that is one tiny query per database round trip, however many
// requests are waiting. Works the same on Postgres replicas and on PGlite.
import type { GenerationStore } from '../core/generation.ts';

const noop = () => undefined;

export class DataGeneration {
  private running: Promise<string> | undefined;
  /** The read that askers join: not started yet (it starts after all of them asked). */
  private next: Promise<string> | undefined;

  constructor(private readonly store: GenerationStore) {}

  current(): Promise<string> {
    this.next ??= this.schedule();
    return this.next;
  }

  private schedule(): Promise<string> {
    const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const ready = this.running ? this.running.then(noop, noop).then(endOfTurn) : endOfTurn();
    return ready.then(() => {
      // From here on a question needs a later read: this one is starting.
      this.next = undefined;
      return this.begin();
    });
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
