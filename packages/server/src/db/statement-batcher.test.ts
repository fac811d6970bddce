import { describe, expect, it } from 'vitest';
import { createBatcher, eachAlone, onePer } from './statement-batcher.ts';

/** A batcher that records its batches and answers each item doubled (odd items fail with `failOdd`). */
function recording(maxRunning: number, failOdd = false) {
  const batches: number[][] = [];
  let release: () => void = () => {};
  let gate: Promise<void> | null = null;
  const batcher = createBatcher<number, number>({
    maxRunning,
    take: (queue) => queue.slice(0, 3),
    async run(batch) {
      batches.push(batch);
      if (gate) await gate;
      return batch.map((n) =>
        failOdd && n % 2
          ? { status: 'rejected', reason: new Error(`odd ${n}`) }
          : { status: 'fulfilled', value: n * 2 },
      );
    },
  });
  return {
    batcher,
    batches,
    hold() {
      gate = new Promise((r) => {
        release = () => {
          gate = null;
          r();
        };
      });
    },
    release: () => release(),
  };
}

describe('createBatcher', () => {
  it('runs what arrives in one turn of the event loop together, in batches of what take picks', async () => {
    const r = recording(2);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => r.batcher(n)));
    expect(answers).toEqual([2, 4, 6, 8]);
    expect(r.batches).toEqual([[1, 2, 3], [4]]);
  });

  it('puts what arrives while the batches run into the next one', async () => {
    const r = recording(1);
    r.hold();
    const first = r.batcher(1);
    await new Promise((done) => setImmediate(done));
    const later = [2, 3].map((n) => r.batcher(n));
    await new Promise((done) => setTimeout(done, 5));
    expect(r.batches).toEqual([[1]]);
    r.release();
    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6]);
    expect(r.batches).toEqual([[1], [2, 3]]);
  });

  it("answers each item with its own outcome, and keeps serving after a batch's failure", async () => {
    const r = recording(2, true);
    const settled = await Promise.allSettled([1, 2].map((n) => r.batcher(n)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
    const failing = createBatcher<number, number>({
      maxRunning: 1,
      take: (q) => [...q],
      run: async () => {
        throw new Error('down');
      },
    });
    await expect(Promise.all([failing(1), failing(2)])).rejects.toThrow('down');
    expect(await r.batcher(4)).toBe(8);
  });
});

describe('createBatcher under a backlog', () => {
  it('drains a long queue, refuses work past its limit with a 503, and goes on when take picks nothing', async () => {
    let batches = 0;
    const batcher = createBatcher<number, number>({
      maxRunning: 1,
      maxQueue: 60_000,
      take: (queue) => (queue[0] === 64 ? [] : queue.slice(0, 32)),
      run: async (batch) => {
        batches++;
        return batch.map((n) => ({ status: 'fulfilled', value: n }));
      },
    });
    const items = Array.from({ length: 60_000 }, (_, i) => i);
    const answers = items.map((n) => batcher(n));
    await expect(batcher(-1)).rejects.toMatchObject({ code: 'unavailable' });
    expect(await Promise.all(answers)).toEqual(items);
    expect(batches).toBeGreaterThan(60_000 / 32);
  });
});

describe('eachAlone', () => {
  it('answers each item on its own, in order, running at most a few at once', async () => {
    let running = 0;
    let most = 0;
    const outcomes = await eachAlone(
      Array.from({ length: 10 }, (_, i) => i),
      async (n) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 10 - n));
        running--;
        if (n === 3) throw new Error('three');
        return n * 2;
      },
      3,
    );
    expect(most).toBe(3);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      0,
      2,
      4,
      'three',
      8,
      10,
      12,
      14,
      16,
      18,
    ]);
    expect(await eachAlone([], async () => 1)).toEqual([]);
  });
});

describe('onePer', () => {
  it('makes one value per key', () => {
    let made = 0;
    const of = onePer((k: object) => ({ k, n: ++made }));
    const a = {};
    expect(of(a)).toBe(of(a));
    expect(of({}).n).toBe(2);
  });
});
