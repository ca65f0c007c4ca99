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
