import { AssentError } from '@assent/core';

/** How far into the queue `take` looks for a batch: taking costs the same whatever the backlog. */
const LOOKAHEAD = 256;
/** Items waiting at most, by default; past that new work is refused (503) rather than queued. */
const MAX_QUEUE = 10_000;

/**
 * Runs work that arrives together as batches: what is queued while `maxRunning` batches run
 * waits and goes in the next one (at the first, what arrives in the same turn of the event loop
 * goes together). `take` picks a batch out of the queue's first items (what it leaves waits
 * for the next; an empty pick takes the first item); `run` answers each of its items, in order.
 * A batch of one is run the same way. Past `maxQueue` waiting items, new ones get a 503.
 */
export function createBatcher<T, R>(opts: {
  maxRunning: number;
  maxQueue?: number;
  take: (queue: readonly T[]) => T[];
  run: (batch: T[]) => Promise<PromiseSettledResult<R>[]>;
}): (item: T) => Promise<R> {
  type Waiting = { item: T; resolve: (r: R) => void; reject: (err: unknown) => void };
  const queue: Waiting[] = [];
  let running = 0;
  const maxQueue = opts.maxQueue ?? MAX_QUEUE;

  async function runBatch(batch: Waiting[]) {
    let outcomes: PromiseSettledResult<R>[];
    try {
      outcomes = await opts.run(batch.map((w) => w.item));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.status === 'fulfilled') w.resolve(o.value);
      else w.reject(o ? o.reason : new Error('A batch left an item unanswered'));
    });
  }

  /** Takes the next batch out of the queue, looking at its first `LOOKAHEAD` items only. */
  function next(): Waiting[] {
    const window = queue.slice(0, LOOKAHEAD);
    let picked: Set<T>;
    try {
      picked = new Set(opts.take(window.map((w) => w.item)));
    } catch (err) {
      // a pick that throws fails the first item, so the queue still moves
      queue.shift()?.reject(err);
      return [];
    }
    const batch: Waiting[] = [];
    const left: Waiting[] = [];
    for (const w of window) (picked.has(w.item) && batch.length < picked.size ? batch : left).push(w);
    // a pick of nothing (or of nothing queued) takes the first item
    if (batch.length === 0) return queue.splice(0, 1);
    queue.splice(0, window.length, ...left);
    return batch;
  }

  function pump() {
    while (running < opts.maxRunning && queue.length) {
      const batch = next();
      if (!batch.length) continue;
      running++;
      void runBatch(batch).finally(() => {
        running--;
        pump();
      });
    }
  }

  return (item: T) =>
    new Promise<R>((resolve, reject) => {
      if (queue.length >= maxQueue) {
        reject(new AssentError('unavailable', 'Too much work is waiting for the database; retry shortly'));
        return;
      }
      queue.push({ item, resolve, reject });
      if (queue.length === 1 && running < opts.maxRunning) setImmediate(pump);
    });
}

/** How many items of a batch that could not run together `eachAlone` runs at once, by default. */
const ALONE_AT_ONCE = 4;

/**
 * Runs `one` for each item, each answered on its own (a batch that could not run together), in
 * order, at most `atOnce` at a time: a batch usually fails when the database is struggling, and
 * should not then send it all its items at once.
 */
export async function eachAlone<T, R>(
  batch: T[],
  one: (item: T) => Promise<R>,
  atOnce = ALONE_AT_ONCE,
): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = [];
  let next = 0;
  const lane = async () => {
    while (next < batch.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await one(batch[i]) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, batch.length)) }, lane));
  return out;
}

/** `make(key)` made once per key (such as one batcher per connection pool), kept while the key lives. */
export function onePer<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) {
      v = make(key);
      made.set(key, v);
    }
    return v;
  };
}
