import { TouchBatch, type WriteTouches } from './touch-batch';

/** A writer whose statements the test completes by hand, recording each batch. */
function manualWriter() {
  const batches: Map<string, number>[] = [];
  const pending: { resolve(rows: Map<string, number>): void; reject(err: unknown): void; batch: Map<string, number> }[] = [];
  const write: WriteTouches = (batch) =>
    new Promise((resolve, reject) => {
      batches.push(new Map(batch));
      pending.push({ resolve, reject, batch: new Map(batch) });
    });
  /** Completes the oldest statement: every session in it is live, its lastActivity its `at` (+ `plus`). */
  const complete = (plus = 0, missing: string[] = []) => {
    const next = pending.shift()!;
    next.resolve(new Map([...next.batch].filter(([id]) => !missing.includes(id)).map(([id, at]) => [id, at + plus])));
  };
  const fail = (err: unknown) => pending.shift()!.reject(err);
  return {
    write,
    batches,
    complete,
    fail,
    get inFlight() {
      return pending.length;
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('TouchBatch', () => {
  it('writes a touch at once, alone, when nothing is being written', async () => {
    const w = manualWriter();
    const touches = new TouchBatch(w.write);
    const result = touches.touch('a', 10);
    expect(w.batches).toEqual([new Map([['a', 10]])]);
    w.complete(5);
    await expect(result).resolves.toBe(15);
  });

  it('gathers the touches that arrive while the statements in flight are written', async () => {
    const w = manualWriter();
    const touches = new TouchBatch(w.write, { maxInFlight: 2 });
    const first = [touches.touch('a', 1), touches.touch('b', 2)];
    const later = [touches.touch('c', 3), touches.touch('d', 4), touches.touch('c', 9), touches.touch('e', 5)];
    // Two statements of one touch each, the rest waiting: one statement for c (merged: the later time), d and e.
    expect(w.batches.map((b) => [...b.keys()])).toEqual([['a'], ['b']]);
    expect(touches.queued).toBe(3);
    w.complete();
    await flush();
    expect(w.batches[2]).toEqual(
      new Map([
        ['c', 9],
        ['d', 4],
        ['e', 5],
      ]),
    );
    w.complete();
    w.complete(0, ['d']);
    await expect(Promise.all([...first, ...later])).resolves.toEqual([1, 2, 9, undefined, 9, 5]);
    expect(touches.queued).toBe(0);
  });

  it('keeps batches within maxBatch', async () => {
    const w = manualWriter();
    const touches = new TouchBatch(w.write, { maxInFlight: 1, maxBatch: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((id, i) => touches.touch(id, i));
    expect(w.inFlight).toBe(1);
    for (let i = 0; i < 3; i++) {
      w.complete();
      await flush();
    }
    expect(w.batches.map((b) => [...b.keys()])).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    await expect(Promise.all(all)).resolves.toEqual([0, 1, 2, 3, 4]);
  });

  it('fails every touch of a failed statement, and goes on with the next', async () => {
    const w = manualWriter();
    const touches = new TouchBatch(w.write, { maxInFlight: 1 });
    const a = touches.touch('a', 1);
    const b = touches.touch('b', 2);
    const c = touches.touch('c', 3);
    w.fail(new Error('database down'));
    await expect(a).rejects.toThrow('database down');
    w.fail(new Error('still down'));
    await expect(Promise.allSettled([b, c])).resolves.toEqual([
      { status: 'rejected', reason: new Error('still down') },
      { status: 'rejected', reason: new Error('still down') },
    ]);
    const d = touches.touch('d', 4);
    w.complete();
    await expect(d).resolves.toBe(4);
  });

  it("with gather: 'turn', writes the touches of one event-loop turn together (a synchronous driver)", async () => {
    const w = manualWriter();
    const touches = new TouchBatch(w.write, { gather: 'turn' });
    const all = [touches.touch('a', 1), touches.touch('b', 2), touches.touch('a', 3)];
    expect(w.batches).toEqual([]);
    await flush();
    expect(w.batches).toEqual([
      new Map([
        ['a', 3],
        ['b', 2],
      ]),
    ]);
    w.complete();
    await expect(Promise.all(all)).resolves.toEqual([3, 2, 3]);
  });

  it('fails the batch when the writer throws synchronously', async () => {
    const touches = new TouchBatch(() => {
      throw new Error('no connection');
    });
    await expect(touches.touch('a', 1)).rejects.toThrow('no connection');
  });
});
