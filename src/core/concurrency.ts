/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/**
 * Runs read → compute → write over chunks with one read ahead and one write behind: while chunk k
 * is computed, chunk k+1 is being read and chunk k−1 written. Writes stay in chunk order and one at
 * a time. A write of several statements moves on only when the event loop gets a turn, so a long
 * compute should be async and yield now and then. After the first failure nothing new starts (not
 * even the write of a chunk already computed); after an abort the computed chunk is still written.
 * Either is thrown once the calls in flight have settled.
 */
export async function readComputeWrite<C, D>(
  chunks: readonly C[],
  signal: AbortSignal | undefined,
  read: (chunk: C) => Promise<D>,
  compute: (data: D, chunk: C) => (() => Promise<unknown>) | Promise<() => Promise<unknown>>,
): Promise<void> {
  let failure: { err: unknown } | undefined;
  // Calls start at once (the read must overlap the compute that follows); a synchronous throw
  // is a failure like any other.
  const fail = (err: unknown) => {
    failure ??= { err };
    return undefined;
  };
  const settle = <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return fn().catch(fail);
    } catch (err) {
      return Promise.resolve(fail(err));
    }
  };
  let writing: Promise<unknown> = Promise.resolve();
  let next = chunks.length > 0 ? settle(() => read(chunks[0]!)) : undefined;
  for (let i = 0; i < chunks.length && next; i++) {
    const data = await next;
    next = undefined;
    if (failure || signal?.aborted) break;
    if (i + 1 < chunks.length) next = settle(() => read(chunks[i + 1]!));
    let write: () => Promise<unknown>;
    try {
      write = await compute(data as D, chunks[i]!);
    } catch (err) {
      failure ??= { err };
      break;
    }
    await writing;
    if (failure) break;
    writing = settle(write);
  }
  await Promise.all([writing, next]);
  if (failure) throw failure.err;
  signal?.throwIfAborted();
}

/**
 * Group commit for a statement many callers make one row at a time: a call waits while the
 * previous group's run is in flight (or for the rest of the current tick), then runs with every
 * other call that waited, as one `run` over their arguments. Under load the groups grow, so one
 * round trip serves many callers; alone, a call runs at once. `run` answers in argument order; a
 * throw fails every call of its group. Arguments with the same `key` never share a group (a
 * multi-row UPDATE would apply only one of them). At most `max` arguments per group.
 */
export function coalesced<A, R>(run: (args: A[]) => Promise<R[]>, o: { key?: (arg: A) => unknown; max?: number } = {}): (arg: A) => Promise<R> {
  interface Call { arg: A; resolve: (r: R) => void; reject: (err: unknown) => void }
  const max = o.max ?? 500;
  let waiting: Call[] = [];
  let running = false;
  const next = () => {
    if (running || waiting.length === 0) return;
    const group: Call[] = [];
    const rest: Call[] = [];
    const keys = new Set<unknown>();
    for (const c of waiting) {
      const k = o.key?.(c.arg);
      if (group.length >= max || (o.key && keys.has(k))) {
        rest.push(c);
      } else {
        keys.add(k);
        group.push(c);
      }
    }
    waiting = rest;
    running = true;
    let ran: Promise<R[]>;
    try {
      ran = run(group.map((c) => c.arg));
    } catch (err) {
      ran = Promise.reject(err);
    }
    ran.then(
      (rs) => group.forEach((c, i) => c.resolve(rs[i] as R)),
      (err: unknown) => group.forEach((c) => c.reject(err)),
    ).finally(() => {
      running = false;
      next();
    });
  };
  return (arg) => new Promise<R>((resolve, reject) => {
    waiting.push({ arg, resolve, reject });
    // The first call of a tick schedules the run; the tick's other calls join it.
    if (!running && waiting.length === 1) queueMicrotask(next);
  });
}
