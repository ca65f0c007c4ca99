// readComputeWrite: the read-ahead / write-behind loop the change-event recomputation runs on.
// coalesced: the group commit the alert dispatcher's reads and attempt records go through.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesced, readComputeWrite } from '../../src/core/concurrency.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

/** Records what runs when; reads and writes take a few timer ticks. */
function harness(o: { failRead?: number; failWrite?: number; failCompute?: number; onCompute?: (i: number) => void } = {}) {
  const log: string[] = [];
  let writing = 0;
  let maxConcurrentWrites = 0;
  const read = async (i: number) => {
    log.push(`read ${i}`);
    await tick();
    if (o.failRead === i) throw new Error(`read ${i} failed`);
    return i * 10;
  };
  const compute = (data: number, i: number) => {
    log.push(`compute ${i}`);
    assert.equal(data, i * 10);
    o.onCompute?.(i);
    if (o.failCompute === i) throw new Error(`compute ${i} failed`);
    return async () => {
      writing++;
      maxConcurrentWrites = Math.max(maxConcurrentWrites, writing);
      log.push(`write ${i} start`);
      await tick();
      await tick();
      writing--;
      log.push(`write ${i} end`);
      if (o.failWrite === i) throw new Error(`write ${i} failed`);
    };
  };
  return { log, read, compute, maxWrites: () => maxConcurrentWrites };
}

describe('readComputeWrite', () => {
  test('reads one chunk ahead, writes one behind, in order and one write at a time', async () => {
    const h = harness();
    await readComputeWrite([0, 1, 2, 3], undefined, h.read, h.compute);
    const at = (s: string) => h.log.indexOf(s);
    for (let i = 0; i < 4; i++) {
      assert.ok(at(`read ${i}`) < at(`compute ${i}`), `read ${i} before compute ${i}`);
      assert.ok(at(`compute ${i}`) < at(`write ${i} start`));
      if (i < 3) assert.ok(at(`read ${i + 1}`) < at(`compute ${i}`), `read ${i + 1} already running while ${i} is computed`);
      if (i > 0) assert.ok(at(`write ${i - 1} end`) < at(`write ${i} start`), 'writes in chunk order, never overlapping');
      if (i > 0) assert.ok(at(`compute ${i}`) < at(`write ${i - 1} end`), `chunk ${i} computed while ${i - 1} is written`);
    }
    assert.equal(h.maxWrites(), 1);
    assert.equal(h.log.filter((l) => l.startsWith('write') && l.endsWith('end')).length, 4);
  });

  test('a failed write: nothing new starts, and the error is thrown once nothing is in flight', async () => {
    const h = harness({ failWrite: 1 });
    await assert.rejects(readComputeWrite([0, 1, 2, 3, 4], undefined, h.read, h.compute), /write 1 failed/);
    assert.ok(!h.log.includes('write 2 start') && !h.log.includes('compute 3') && !h.log.includes('read 4'));
    assert.ok(h.log.includes('write 1 end'));
  });

  test('a failed read or compute is thrown after the running write finished', async () => {
    const r = harness({ failRead: 2 });
    await assert.rejects(readComputeWrite([0, 1, 2, 3], undefined, r.read, r.compute), /read 2 failed/);
    assert.ok(!r.log.includes('compute 2') && !r.log.includes('read 3') && r.log.includes('write 0 end'));
    const c = harness({ failCompute: 1 });
    await assert.rejects(readComputeWrite([0, 1, 2], undefined, c.read, c.compute), /compute 1 failed/);
    assert.ok(c.log.includes('write 0 end') && !c.log.includes('write 1 start'));
  });

  test('a synchronous throw from read is a failure like any other', async () => {
    await assert.rejects(readComputeWrite([0], undefined, () => { throw new Error('sync'); }, () => async () => {}), /sync/);
  });

  test('an abort stops before the next compute and throws the abort reason', async () => {
    const ac = new AbortController();
    const h = harness({ onCompute: (i) => { if (i === 1) ac.abort(new Error('stop')); } });
    await assert.rejects(readComputeWrite([0, 1, 2, 3], ac.signal, h.read, h.compute), /stop/);
    assert.ok(!h.log.includes('compute 2'));
    assert.ok(h.log.includes('write 1 end'), 'the computed chunk is still written');
  });

  test('an async compute that yields lets the previous write finish meanwhile', async () => {
    const log: string[] = [];
    await readComputeWrite(
      [0, 1],
      undefined,
      async (i) => i,
      async (_d, i) => {
        log.push(`compute ${i} start`);
        for (let k = 0; k < 6; k++) await tick(); // a long compute that yields
        log.push(`compute ${i} end`);
        return async () => {
          log.push(`write ${i} start`);
          await tick();
          log.push(`write ${i} end`);
        };
      },
    );
    assert.ok(log.indexOf('write 0 end') < log.indexOf('compute 1 end'), log.join(', '));
    assert.equal(log.at(-1), 'write 1 end');
  });

  test('no chunks: nothing is called', async () => {
    const h = harness();
    await readComputeWrite([], undefined, h.read, h.compute);
    assert.deepEqual(h.log, []);
  });
});

describe('coalesced', () => {
  /** A run that records its groups and takes a few timer ticks; fails a group holding `fail`. */
  const recorder = (fail?: number) => {
    const groups: number[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const run = async (args: number[]) => {
      groups.push(args);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await tick();
      inFlight--;
      if (fail !== undefined && args.includes(fail)) throw new Error(`group with ${fail} failed`);
      return args.map((a) => a * 10);
    };
    return { groups, run, max: () => maxInFlight };
  };

  test("one tick's calls run as one group, each answered with its own result", async () => {
    const r = recorder();
    const call = coalesced(r.run);
    assert.deepEqual(await Promise.all([1, 2, 3].map(call)), [10, 20, 30]);
    assert.deepEqual(r.groups, [[1, 2, 3]]);
  });

  test('calls made while a group runs wait, then run together; one group in flight at a time', async () => {
    const r = recorder();
    const call = coalesced(r.run);
    const first = call(1);
    await Promise.resolve();
    await new Promise((res) => setImmediate(res));
    const later = [2, 3, 4].map(call);
    assert.deepEqual(await Promise.all([first, ...later]), [10, 20, 30, 40]);
    assert.deepEqual(r.groups, [[1], [2, 3, 4]]);
    assert.equal(r.max(), 1);
  });

  test('arguments with the same key go to separate groups, in call order; `max` caps a group', async () => {
    const r = recorder();
    const call = coalesced(r.run, { key: (a: number) => a % 3, max: 2 });
    assert.deepEqual(await Promise.all([1, 4, 2, 5, 3].map(call)), [10, 40, 20, 50, 30]);
    assert.deepEqual(r.groups, [[1, 2], [4, 5], [3]]);
  });

  test("a failed run fails its group's calls only; later calls run", async () => {
    const r = recorder(2);
    const call = coalesced(r.run);
    const a = [1, 2].map((x) => call(x).then(String, (e: Error) => e.message));
    await new Promise((res) => setImmediate(res));
    const b = call(3);
    assert.deepEqual(await Promise.all(a), ['group with 2 failed', 'group with 2 failed']);
    assert.equal(await b, 30);
    const sync = coalesced((): Promise<number[]> => {
      throw new Error('thrown synchronously');
    });
    await assert.rejects(sync(1), /thrown synchronously/);
  });
});
